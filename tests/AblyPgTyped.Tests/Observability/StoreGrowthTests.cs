using System;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;
using static AblyPgTyped.Tests.Connectors.DeliveryTests;

namespace AblyPgTyped.Tests.Observability;

/// <summary>A store that grows while the connector runs is reported by age and by size, once an hour at most, and degrades the health.</summary>
[Collection(PostgresCollection.Name)]
public sealed class StoreGrowthTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_store_growing_past_its_age_and_size_limits_is_warned_about_once_and_degrades_the_health()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var options = h.Options(AblyPgTables.User);
        options.MaxChangesPerMessage = 500;
        options.StaleStoreWarningAfter = TimeSpan.FromSeconds(2);
        options.StoreSizeWarningAbove = 64 * 1024;
        options.Health.LagDegradedAbove = TimeSpan.FromHours(1);
        options.Health.StoreCheckInterval = TimeSpan.FromMilliseconds(200);
        var connector = await h.StartConnectorAsync(options);
        Assert.Equal(ConnectorHealthStatus.Healthy, connector.Health.Status);

        h.Ably.Faults.FailAll();
        await h.ExecuteAsync("""INSERT INTO users SELECT g, (SELECT string_agg(md5(g::text || i), '') FROM generate_series(1, 6) i), NULL FROM generate_series(1, 2000) g""");
        await Eventually(() => h.Logs.Entries.Any(e => e.EventId == 1112) && h.Logs.Entries.Any(e => e.EventId == 1115), seconds: 20);
        await Task.Delay(TimeSpan.FromSeconds(1)); // several more looks at the store

        var stale = Assert.Single(h.Logs.Entries, e => e.EventId == 1112);
        Assert.Matches(@"The capture store ""ablypg"".""changes"" has not been drained for \d s: 2 row\(s\) of changes wait", stale.Text);
        var large = Assert.Single(h.Logs.Entries, e => e.EventId == 1115);
        Assert.Matches(@"The capture store ""ablypg"".""changes"" takes \d+(\.\d)? (KiB|MiB) on disk, more than StoreSizeWarningAbove \(64 KiB\): about 2000 change\(s\) wait, the oldest captured " + BacklogProgressTests.Duration + " ago", large.Text);
        Assert.Contains(connector.Health.Problems, p => p.StartsWith("the capture store takes ", StringComparison.Ordinal) && p.EndsWith("more than StoreSizeWarningAbove (64 KiB)", StringComparison.Ordinal));
        Assert.True(connector.Health.StoreBytes > 64 * 1024);

        h.Ably.Faults.Clear();
        await Eventually(() => MetricsTests.Changes(h, "users") == 2000);
    }
}
