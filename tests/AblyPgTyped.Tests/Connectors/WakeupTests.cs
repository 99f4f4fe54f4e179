using System;
using System.Diagnostics;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;
using static AblyPgTyped.Tests.Connectors.DeliveryTests;

namespace AblyPgTyped.Tests.Connectors;

[Collection(PostgresCollection.Name)]
/// <summary>
/// The trigger store's edge-triggered wake-up: an idle connector is woken by the first commit, a busy one keeps the flag
/// disarmed so writers do not notify. Logical replication has no flag: the slot streams.
/// </summary>
public sealed class WakeupTests(PostgresFixture postgres)
{
    [Fact]
    public async Task An_idle_connector_is_woken_by_the_first_commit_not_by_its_fallback_poll()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var options = h.Options(AblyPgTables.User);
        options.IdleWakeupTimeout = TimeSpan.FromSeconds(30);
        await h.StartConnectorAsync(options);
        await Eventually(async () => await h.ScalarAsync<bool>("SELECT armed FROM ablypg.wakeup"));

        var clock = Stopwatch.StartNew();
        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'wake', NULL)""");
        await h.WaitForMessagesAsync(1, seconds: 10);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"delivery took {clock.Elapsed}: the NOTIFY edge did not wake the connector");
    }

    [Fact]
    public async Task A_busy_connector_keeps_the_wakeup_disarmed_so_writers_do_not_notify()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        h.Ably.Faults.AddLatency(TimeSpan.FromMilliseconds(200));

        for (var i = 1; i <= 10; i++)
        {
            await h.ExecuteAsync("""INSERT INTO users VALUES ($1, 'busy', NULL)""", i);
            Assert.False(await h.ScalarAsync<bool>("SELECT armed FROM ablypg.wakeup"), $"armed while busy, at write {i}");
        }

        await h.WaitForMessagesAsync(10);
    }
}
