using System;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;
using static AblyPgTyped.Tests.Connectors.DeliveryTests;

namespace AblyPgTyped.Tests.Observability;

/// <summary>A burst of failures logs one line when it starts and one when it ends, with durations a person reads.</summary>
[Collection(PostgresCollection.Name)]
public sealed class RetryBurstLogTests(PostgresFixture postgres)
{
    [Fact]
    public async Task An_ably_outage_of_many_retries_logs_one_warning_and_one_recovery_in_human_units()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var options = h.Options(AblyPgTables.User);
        options.MaxRetryDelay = TimeSpan.FromMilliseconds(200);
        await h.StartConnectorAsync(options);

        h.Ably.Faults.FailAll(statusCode: 503, errorCode: 50003, message: "Service unavailable");
        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g, NULL FROM generate_series(1, 5) g""");
        await Eventually(() => h.Ably.GetStats().InjectedFailures >= 8);
        h.Ably.Faults.Clear();
        await h.WaitForMessagesAsync(5);
        await Eventually(() => h.Logs.Entries.Any(e => e.EventId == 1203));

        var warning = Assert.Single(h.Logs.Entries, e => e.EventId == 1201);
        Assert.Matches(@"Ably did not accept a publish request \(50003 \(HTTP 503\): Service unavailable\); every channel waits \d+ ms and retries, with the same message ids", warning.Text);
        var recovery = Assert.Single(h.Logs.Entries, e => e.EventId == 1203);
        Assert.Matches(@"Ably accepts publish requests again, after (\d+) failed attempt\(s\) over " + BacklogProgressTests.Duration, recovery.Text);
        Assert.True(int.Parse(System.Text.RegularExpressions.Regex.Match(recovery.Text, @"after (\d+) failed").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 8);
        Assert.DoesNotContain(h.Logs.Entries, e => e.Text.Contains("00:00:", StringComparison.Ordinal));
    }
}
