using System;
using System.Diagnostics;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;
using static AblyPgTyped.Tests.Connectors.DeliveryTests;

namespace AblyPgTyped.Tests.Connectors;

[Collection(PostgresCollection.Name)]
public sealed class RoutingAndWakeupTests(PostgresFixture postgres)
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

    [Fact]
    public async Task A_placeholder_that_resolves_to_an_invalid_channel_is_dead_lettered()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, MoreSchemas.Rooms);
        await h.StartConnectorAsync(h.Options(AblyPgTables.Room));

        await h.ExecuteAsync("""INSERT INTO rooms VALUES (1, '[meta]log'), (2, 'lobby'), (3, ':x')""");
        var message = Assert.Single(await h.WaitForMessagesAsync(1));
        await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters") == 2);

        Assert.Equal("lobby", message.Channel);
        Assert.Equal(
            "the resolved channel '[meta]log' is not valid: it starts with '[', which Ably reserves for channel qualifiers such as [meta]",
            await h.ScalarAsync<string>("SELECT reason FROM ablypg.dead_letters WHERE change_index = 0"));
    }

    [Fact]
    public async Task A_message_Ably_rejects_for_good_is_dead_lettered_and_the_rest_flow()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, MoreSchemas.Rooms);
        await h.StartConnectorAsync(h.Options(AblyPgTables.Room));
        h.Ably.Faults.FailNext(1, 400, 40160, "capability denied", channel: "secret");

        await h.ExecuteAsync("""INSERT INTO rooms VALUES (1, 'secret'), (2, 'public')""");
        var message = Assert.Single(await h.WaitForMessagesAsync(1));
        await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.changes") == 0);

        Assert.Equal("public", message.Channel);
        Assert.StartsWith("Ably rejected the message: 40160 (HTTP 400)", await h.ScalarAsync<string>("SELECT reason FROM ablypg.dead_letters"), StringComparison.Ordinal);
        Assert.Equal("secret", await h.ScalarAsync<string>("SELECT channel FROM ablypg.dead_letters"));
    }
}
