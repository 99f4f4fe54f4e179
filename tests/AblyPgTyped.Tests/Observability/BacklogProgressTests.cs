using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;
using Xunit.Abstractions;
using DeliveryTests = AblyPgTyped.Tests.Connectors.DeliveryTests;

namespace AblyPgTyped.Tests.Observability;

/// <summary>
/// A large backlog logs its progress at the interval, not per cycle, and one line when it is drained. CI drains 100,000
/// changes; <c>ABLYPG_BACKLOG_CHANGES=1000000</c> runs the same test on a million (docs/observability.md has the figure).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class BacklogProgressTests(PostgresFixture postgres, ITestOutputHelper output)
{
    /// <summary>A duration as the log lines print it.</summary>
    internal const string Duration = @"(\d+ ms|\d+(\.\d)? s|\d+ min( \d+ s)?)";

    [Fact]
    public async Task A_backlog_drain_logs_backlog_rate_and_time_left_at_the_interval_then_one_line_when_drained()
    {
        var total = int.Parse(Environment.GetEnvironmentVariable("ABLYPG_BACKLOG_CHANGES") ?? "100000", CultureInfo.InvariantCulture);
        var interval = TimeSpan.FromSeconds(1);
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var options = h.Options(AblyPgTables.User);
        options.MaxChangesPerMessage = 500; // the default: the one insert channel carries the backlog in bundles, within 50 messages/s
        options.ProgressLogInterval = interval;
        options.Health.BacklogDegradedAbove = 1_000;

        // The backlog is captured while no connector runs.
        var first = await h.StartConnectorAsync(options);
        await first.StopAsync();
        var filling = Stopwatch.StartNew();
        await h.ExecuteAsync($"INSERT INTO users SELECT g, 'user ' || g, NULL FROM generate_series(1, {total}) g");
        output.WriteLine($"{total:N0} changes captured in {filling.Elapsed.TotalSeconds:0.0} s");

        var logs = new TimedLogs();
        await using var connector = new Connector(options, logs);
        var started = Stopwatch.GetTimestamp();
        await connector.StartAsync();
        await DeliveryTests.Eventually(() => logs.Of(1212).Count > 0, seconds: Math.Max(120, total / 2_000));
        var drained = Stopwatch.GetElapsedTime(started);
        await DeliveryTests.Eventually(() => MetricsTests.Changes(h, "users") == total, seconds: 30);
        output.WriteLine($"{total:N0} changes drained in {drained.TotalSeconds:0.0} s ({total / drained.TotalSeconds:N0}/s), {h.Ably.GetMessages("users").Count:N0} messages");

        var found = Assert.Single(logs.Of(1210));
        var progress = logs.Of(1211);
        var done = Assert.Single(logs.Of(1212));
        foreach (var line in logs.Entries.Where(e => e.EventId is 1210 or 1211 or 1212))
        {
            output.WriteLine(line.Text);
        }

        // One line at the interval, whatever the drain's cycles do: as many as the drain took intervals, each about one apart.
        Assert.True(found.Timestamp < progress[0].Timestamp && progress[^1].Timestamp < done.Timestamp);
        var expected = (Stopwatch.GetElapsedTime(found.Timestamp, done.Timestamp) / interval) - 1;
        Assert.InRange((double)progress.Count, Math.Max(1, expected - 2), expected + 1);
        foreach (var (earlier, later) in progress.Zip(progress.Skip(1)))
        {
            Assert.InRange(Stopwatch.GetElapsedTime(earlier.Timestamp, later.Timestamp).TotalSeconds, 0.85, 2.5);
        }

        // Each line: what waits, the rate Ably accepted, and an estimate while the backlog shrinks.
        var backlogs = progress.Select(p => (long)p.State["Backlog"]!).ToList();
        Assert.True(backlogs.Zip(backlogs.Skip(1)).All(p => p.First > p.Second), "the backlog shrinks from line to line: " + string.Join(", ", backlogs));
        Assert.All(progress, p =>
        {
            Assert.InRange((long)p.State["Rate"]!, 1, total);
            Assert.Matches(@"; about " + Duration + " to go$", p.Text);
        });

        // The last line counts only what Ably accepted, and says it has caught up.
        var published = (long)done.State["Published"]!;
        Assert.InRange(published, total / 2, total);
        Assert.EndsWith("the connector has caught up", done.Text, StringComparison.Ordinal);
        Assert.Matches(@"^Draining a backlog of \d+ change\(s\) in capture store ""ablypg"".""changes"", the oldest captured " + Duration + " ago$", found.Text);
    }
}
