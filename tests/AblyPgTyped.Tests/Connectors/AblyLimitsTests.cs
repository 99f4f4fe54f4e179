using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using AblyPgTyped.LocalAbly;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Microsoft.Extensions.Logging;
using Xunit;

namespace AblyPgTyped.Tests.Connectors;

/// <summary>
/// Sustained load against the local endpoint at Ably's Standard limits (50 msg/s per channel, 2,500 msg/s and
/// 362 requests/s per account): a throttled or failing channel delays only itself, many channels stay within the
/// account's rate, and nothing is lost or seen twice. <see cref="HotChannelPacingTests"/> has one channel pushed past
/// its rate for long.
/// </summary>
[Collection(PostgresCollection.Name)]
public class AblyLimitsTests(PostgresFixture postgres)
{
    internal const string UsersChannel = "users";
    private const string CountersChannel = "counters";

    /// <summary>The capture mode the tests run in; a subclass runs them all again in another.</summary>
    protected virtual CaptureMode Capture => CaptureMode.Triggers;

    [Fact]
    public async Task A_quiet_channel_keeps_its_latency_while_a_hot_one_is_throttled()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Users, Schemas.Counters);
        var options = h.Options(AblyPgTables.User, AblyPgTables.Counter); // bundling off: the hot channel cannot keep up
        await h.StartConnectorAsync(options);

        // Hot: 15 users every 50 ms (300 changes/s on "users", six times its 50 msg/s) for 16 s.
        const int hotTicks = 320, hotPerTick = 15;
        var hot = PaceAsync(TimeSpan.FromMilliseconds(50), hotTicks, k =>
            h.ExecuteAsync("""INSERT INTO users SELECT g, 'hot', NULL FROM generate_series($1, $2) g""", (k * hotPerTick) + 1, (k + 1) * hotPerTick));

        // Quiet: one counter a second on "counters", from 1 s in (the hot backlog is building by then) for 15 s.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var insertedAt = new ConcurrentDictionary<int, long>();
        var quiet = await PaceAsync(TimeSpan.FromSeconds(1), 15, async k =>
        {
            await h.ExecuteAsync("""INSERT INTO counters VALUES ($1, 0, 0)""", k + 1);
            insertedAt[k + 1] = Stopwatch.GetTimestamp();
        });
        var hotWritten = await hot;
        var hotDelivered = h.Ably.GetAcceptedMessageCount(UsersChannel);
        AssertWriterKeptUp(hotWritten, TimeSpan.FromSeconds(16), slack: 1.5); // still 200 changes/s: four times the channel's rate

        // The hot channel really was held to its rate, with a backlog behind it.
        Assert.True(
            hotDelivered <= (hotWritten.TotalSeconds * 50) + 50 && (hotTicks * hotPerTick) - hotDelivered > 1000,
            $"the hot channel was not throttled: {hotDelivered} of {hotTicks * hotPerTick} delivered in {hotWritten.TotalSeconds:F1} s");

        var quietMessages = await h.Ably.WaitForMessagesAsync(CountersChannel, 15, TimeSpan.FromSeconds(5));
        var lags = quietMessages
            .Select(m => (Id: AblyPgTables.Counter.ReadChanges(m.DataString!).Single().New!.Id, m.ReceivedAtStopwatchTimestamp))
            .Select(x => Stopwatch.GetElapsedTime(insertedAt[x.Id], x.ReceivedAtStopwatchTimestamp).TotalMilliseconds)
            .ToList();
        Assert.Equal(Enumerable.Range(1, 15), quietMessages.Select(m => AblyPgTables.Counter.ReadChanges(m.DataString!).Single().New!.Id));

        // Lag: the endpoint's receive time minus the moment the INSERT returned (so just after its commit). Blocked behind
        // the hot channel, nearly every lag would be seconds. One stall of the whole machine is tolerated: on the shared
        // 2-core CI runner a single sample once took 955 ms while every other took under 20 ms.
        var secondWorst = lags.Order().SkipLast(1).Last();
        Assert.True(
            secondWorst < 100 && lags.Max() < 2000,
            $"quiet channel lag: second worst {secondWorst:F0} ms (limit 100 ms), worst {lags.Max():F0} ms (limit 2 s); lags: {string.Join(", ", lags.Select(l => l.ToString("F0", CultureInfo.InvariantCulture)))} ms; {Describe(h)}");
    }

    [Fact]
    public async Task A_failing_channel_delays_only_itself_and_recovers_without_loss()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Users, Schemas.Counters);
        var options = h.Options(AblyPgTables.User, AblyPgTables.Counter);
        options.MaxChangesPerMessage = 500; // the default
        await h.StartConnectorAsync(options);
        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'before', NULL)""");
        await h.ExecuteAsync("""INSERT INTO counters VALUES (1, 0, 0)""");
        await h.WaitForMessagesAsync(2, seconds: 10);

        // "users" fails with 503 inside every batch result for 10 s; "counters" goes on.
        var outage = h.Ably.Faults.FailAll(503, 50300, channel: UsersChannel);
        var insertedAt = new ConcurrentDictionary<int, long>();
        var during = await PaceAsync(TimeSpan.FromMilliseconds(100), 100, async k =>
        {
            await h.ExecuteAsync("""INSERT INTO users VALUES ($1, 'during', NULL)""", k + 2);
            await h.ExecuteAsync("""INSERT INTO counters VALUES ($1, 0, 0)""", k + 2);
            insertedAt[k + 2] = Stopwatch.GetTimestamp();
        });
        AssertWriterKeptUp(during, TimeSpan.FromSeconds(10), slack: 1.5); // the outage lasts until the test ends it

        // The other channel was delivered promptly, while the failing one got nothing through.
        var counters = await h.Ably.WaitForMessagesAsync(CountersChannel, 101, TimeSpan.FromSeconds(2));
        var lags = counters
            .SelectMany(m => AblyPgTables.Counter.ReadChanges(m.DataString!).Select(c => (c.New!.Id, m.ReceivedAtStopwatchTimestamp)))
            .Where(x => x.Id >= 2)
            .Select(x => Stopwatch.GetElapsedTime(insertedAt[x.Id], x.ReceivedAtStopwatchTimestamp).TotalMilliseconds)
            .ToList();
        Assert.Equal(100, lags.Count);
        // p98 and a ceiling: one stall of the shared CI machine spans a sample or two (796 ms once), a blocked channel all.
        var p98 = Percentile(lags, 98);
        Assert.True(
            p98 < 250 && lags.Max() < 2000,
            $"the healthy channel's p98 lag during the outage was {p98:F0} ms (limit 250 ms), max {lags.Max():F0} ms (limit 2 s); {Describe(h)}");
        Assert.Equal(1, h.Ably.GetAcceptedMessageCount(UsersChannel));
        Assert.True(h.Ably.GetStats().InjectedFailures > 0, "the injected failure never applied");
        Assert.True(await h.BacklogAsync() > 0, "the failing channel's changes were forgotten (deleted from the store, or confirmed on the slot) before they were delivered");
        Assert.Contains(h.Logs.Entries, e => e.EventId == 1204 && e.Text.Contains($"Channel {UsersChannel} ", StringComparison.Ordinal));

        // After the outage, every change of the failing channel arrives, once, in position order.
        h.Ably.Faults.Remove(outage);
        await WaitUntilAsync(() => Task.FromResult(h.Ably.GetMessages(UsersChannel).Sum(m => AblyPgTables.User.ReadChanges(m.DataString!).Count) >= 101), TimeSpan.FromSeconds(15), () => Task.FromResult($"the failing channel did not recover within 15 s; {Describe(h)}"));
        await WaitUntilAsync(async () => await h.BacklogAsync() == 0, TimeSpan.FromSeconds(5), async () => await h.DescribeBacklogAsync());
        await Task.Delay(300);

        var users = h.Ably.GetMessages(UsersChannel);
        var changes = users.SelectMany(m => AblyPgTables.User.ReadChanges(m.DataString!)).ToList();
        Assert.Equal(users.Count, users.Select(m => m.Id).Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 101), changes.Select(c => c.New!.Id));
        AssertStrictlyIncreasing(changes.Select(c => c.Position), UsersChannel);
        Assert.Equal(Enumerable.Range(1, 101), h.Ably.GetMessages(CountersChannel).SelectMany(m => AblyPgTables.Counter.ReadChanges(m.DataString!)).Select(c => c.New!.Id));
    }

    [Fact]
    public async Task Many_channels_within_the_account_rate()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Counters);
        await h.ExecuteAsync("""INSERT INTO counters SELECT g, 0, 0 FROM generate_series(1, 100) g"""); // before capture: not published
        var options = h.Options(AblyPgTables.Counter);
        options.MaxChangesPerMessage = 500; // the default
        await h.StartConnectorAsync(options);
        Assert.Equal(2500, h.Ably.Limits.AccountMessagesPerSecond);

        // Every 20 ms, one update of all 100 rows: 50 changes/s on each of the 100 channels "counter:{Id}",
        // 5,000 changes/s in all, twice what the account accepts as single messages.
        const int ticks = 250;
        var written = await PaceAsync(TimeSpan.FromMilliseconds(20), ticks, _ => h.ExecuteAsync("""UPDATE counters SET "Value" = "Value" + 1"""));
        AssertWriterKeptUp(written, TimeSpan.FromSeconds(5), slack: 1.6); // still over 3,100 changes/s: above the account's 2,500 messages/s

        await WaitUntilAsync(async () => await h.BacklogAsync() == 0, TimeSpan.FromSeconds(20), async () => $"{await h.DescribeBacklogAsync()} 20 s after the last write; {Describe(h)}");
        await Task.Delay(300);

        var messages = h.Ably.GetMessages();
        Assert.Equal(messages.Count, messages.Select(m => (m.Channel, m.Id)).Distinct().Count());
        var byChannel = messages.GroupBy(m => m.Channel).ToDictionary(g => g.Key, g => g.SelectMany(m => AblyPgTables.Counter.ReadChanges(m.DataString!)).ToList());
        Assert.Equal(Enumerable.Range(1, 100).Select(id => $"counter:{id}").Order(StringComparer.Ordinal), byChannel.Keys.Order(StringComparer.Ordinal));
        foreach (var (channel, changes) in byChannel)
        {
            // Each row's updates, each once, in order: its values count 1, 2, … 250.
            Assert.Equal(Enumerable.Range(1, ticks).Select(v => (long)v), changes.Select(c => c.New!.Value));
            Assert.All(changes, c => Assert.Equal($"counter:{c.New!.Id}", channel));
            AssertStrictlyIncreasing(changes.Select(c => c.Position), channel);
        }

        var stats = h.Ably.GetStats();
        var refused = stats.ChannelRateLimited + stats.RateLimitedRequests;
        Assert.True(refused * 100 < stats.PublishRequests, $"{refused} refusal(s) for rate in {stats.PublishRequests} publish request(s) (limit: under 1%); {Describe(h)}");
    }

    /// <summary>Runs <paramref name="tick"/> <paramref name="ticks"/> times on a fixed schedule (catching up when late); returns the time taken.</summary>
    internal static async Task<TimeSpan> PaceAsync(TimeSpan interval, int ticks, Func<int, Task> tick)
    {
        var start = Stopwatch.GetTimestamp();
        for (var k = 0; k < ticks; k++)
        {
            var wait = TimeSpan.FromTicks(interval.Ticks * k) - Stopwatch.GetElapsedTime(start);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            await tick(k);
        }

        return Stopwatch.GetElapsedTime(start);
    }

    /// <summary>The writer must have held the intended rate, or the test did not load the connector as it claims.</summary>
    internal static void AssertWriterKeptUp(TimeSpan taken, TimeSpan planned, double slack = 1.1) =>
        Assert.True(taken < planned * slack, $"the writer took {taken.TotalSeconds:F1} s for what was planned in {planned.TotalSeconds:F1} s: the machine could not produce the load");

    internal static void AssertNoRateRefusals(ConnectorHarness h, string when)
    {
        var stats = h.Ably.GetStats();
        Assert.True(stats.ChannelRateLimited == 0 && stats.RateLimitedRequests == 0, $"rate refusals {when}: {Describe(h)}");
    }

    internal static void AssertStrictlyIncreasing(IEnumerable<ChangePosition> positions, string channel)
    {
        ChangePosition? previous = null;
        foreach (var position in positions)
        {
            Assert.True(previous is null || previous.Value.CompareTo(position) < 0, $"on {channel}, position {position} came after {previous}");
            previous = position;
        }
    }

    internal static async Task<long> StoreCountAsync(ConnectorHarness h) => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.changes");

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<Task<string>> failure)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!await condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                Assert.Fail(await failure());
            }

            await Task.Delay(50);
        }
    }

    /// <summary>The changes of a typed-shape message of an untyped mapping (one change, or a bundle): each row's id and the change's position.</summary>
    internal static IEnumerable<(int Id, ChangePosition Position)> UntypedChanges(ReceivedMessage message)
    {
        using var data = JsonDocument.Parse(message.DataString!);
        var changes = data.RootElement.TryGetProperty("changes", out var bundle) ? bundle.EnumerateArray().ToList() : [data.RootElement];
        return changes.Select(c => (c.GetProperty("new").GetProperty("id").GetInt32(), ChangePosition.Parse(c.GetProperty("position").GetString()!))).ToList();
    }

    /// <summary>Nearest-rank percentile.</summary>
    internal static double Percentile(IReadOnlyCollection<double> values, double percent)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(percent / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    internal static string Describe(ConnectorHarness h)
    {
        var s = h.Ably.GetStats();
        return FormattableString.Invariant(
            $"endpoint: {s.PublishRequests} publish requests ({s.BatchPublishRequests} batch), {s.AcceptedMessages} messages accepted, {s.ChannelRateLimited} channel 429s, {s.RateLimitedRequests} requests refused for rate ({s.AccountMessageRateLimited} account msg, {s.AccountRequestRateLimited} account req), {s.InjectedFailures} injected failures; connector warnings: ")
            + string.Join(" | ", h.Logs.Entries.Where(e => e.Level >= LogLevel.Information && e.EventId >= 1200).TakeLast(5).Select(e => e.Text));
    }
}
