using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using AblyPgTyped.LocalAbly;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;
using static AblyPgTyped.Tests.Connectors.AblyLimitsTests;

namespace AblyPgTyped.Tests.Connectors;

/// <summary>
/// <c>kill -9</c> in the middle of each load at Ably's Standard limits: after the restart nothing is lost, and
/// subscribers see no message id twice. Ably's idempotency (which the endpoint models) drops a re-sent message with an
/// id it has seen; chunks sent before the kill go again cut exactly as they were (the cut journal), so a bundle re-sent
/// carries its old id, and a change that committed late inside a chunk's range waits behind it, as it did. No change
/// arrives twice, in either capture mode.
/// </summary>
[Collection(PostgresCollection.Name)]
public class CrashDuringLoadTests(PostgresFixture postgres)
{
    /// <summary>The capture mode the tests run in; a subclass runs them all again in another.</summary>
    protected virtual CaptureMode Capture => CaptureMode.Triggers;

    [Fact]
    public async Task Killed_under_a_hot_a_quiet_a_failing_and_100_paced_channels_it_loses_nothing_and_repeats_no_id()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Users, Schemas.Counters);
        await h.ExecuteAsync("""INSERT INTO counters SELECT g, 0, 0 FROM generate_series(1, 100) g"""); // before capture: not published
        const string failingChannel = "counter:7";
        var outage = h.Ably.Faults.FailAll(503, 50300, channel: failingChannel);

        // At once, for 8 s: "users" at 200 changes/s (a 10-row statement every 50 ms; four times its rate);
        // "counters" at 1 change/s; every "counter:{Id}" of 100 at 50 changes/s (5,000/s in all, twice what the
        // account takes as single messages), one of which fails with 503 until well after the restart.
        const int hotTicks = 160, hotPerTick = 10, quietTicks = 8, pacedTicks = 400;
        Task hot, quiet, paced;
        long killedAt;
        using (var victim = ConnectorProcess.Start(h, "tables=users,counters")) // product defaults: adaptive bundling on
        {
            await victim.WaitUntilActiveAsync();
            hot = PaceAsync(TimeSpan.FromMilliseconds(50), hotTicks, k =>
                h.ExecuteAsync("""INSERT INTO users SELECT g, 'hot', NULL FROM generate_series($1, $2) g""", (k * hotPerTick) + 1, (k + 1) * hotPerTick));
            quiet = PaceAsync(TimeSpan.FromSeconds(1), quietTicks, k => h.ExecuteAsync("""INSERT INTO counters VALUES ($1, 0, 0)""", 101 + k));
            paced = PaceAsync(TimeSpan.FromMilliseconds(20), pacedTicks, _ => h.ExecuteAsync("""UPDATE counters SET "Value" = "Value" + 1 WHERE "Id" <= 100"""));
            await Task.Delay(TimeSpan.FromSeconds(4));
            killedAt = Stopwatch.GetTimestamp();
            victim.Kill();
        }

        var options = h.Options(AblyPgTables.User, AblyPgTables.Counter);
        options.MaxChangesPerMessage = 500;
        await h.StartConnectorAsync(options);

        await Task.WhenAll(hot, quiet, paced); // on a busy machine, maybe slower than planned: what is checked is what arrives
        await Task.Delay(TimeSpan.FromSeconds(1));
        h.Ably.Faults.Remove(outage);
        await WaitUntilAsync(async () => await h.BacklogAsync() == 0, TimeSpan.FromSeconds(30), async () => $"{await h.DescribeBacklogAsync()}; {Describe(h)}");
        await Task.Delay(300);

        var messages = h.Ably.GetMessages();
        AssertNoIdTwice(messages);
        Assert.True(h.Ably.GetStats().InjectedFailures > 0, "the failing channel never failed");
        AssertKilledMidStream(messages, killedAt);

        var users = Delivered(messages, "users", m => AblyPgTables.User.ReadChanges(m.DataString!).Select(c => (c.Position, (long)c.New!.Id)));
        AssertWhole(users, Enumerable.Range(1, hotTicks * hotPerTick).Select(i => (long)i), "users", killedAt);
        var counters = Delivered(messages, "counters", m => AblyPgTables.Counter.ReadChanges(m.DataString!).Select(c => (c.Position, (long)c.New!.Id)));
        AssertWhole(counters, Enumerable.Range(101, quietTicks).Select(i => (long)i), "counters", killedAt);
        for (var id = 1; id <= 100; id++)
        {
            var channel = $"counter:{id}";
            var values = Delivered(messages, channel, m => AblyPgTables.Counter.ReadChanges(m.DataString!).Select(c => (c.Position, c.New!.Value)));
            AssertWhole(values, Enumerable.Range(1, pacedTicks).Select(v => (long)v), channel, killedAt);
        }
    }

    [Fact]
    public async Task Killed_while_compatible_messages_are_paced_it_loses_nothing_and_repeats_nothing()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Users);
        // 40 changes/s for 2 s (within the channel's 50 messages/s), then 200/s for 2 s (a 10-row statement every
        // 50 ms): a backlog builds, since the original's message shape is never bundled. The kill comes in the middle.
        Task burst;
        long killedAt;
        using (var victim = ConnectorProcess.Start(h, "tables=users", "compatible=true"))
        {
            await victim.WaitUntilActiveAsync();
            await PaceAsync(TimeSpan.FromMilliseconds(50), 40, async k =>
            {
                await h.ExecuteAsync("""INSERT INTO users VALUES ($1, 'steady', NULL)""", (k * 2) + 1);
                await h.ExecuteAsync("""INSERT INTO users VALUES ($1, 'steady', NULL)""", (k * 2) + 2);
            });
            burst = PaceAsync(TimeSpan.FromMilliseconds(50), 40, k =>
                h.ExecuteAsync("""INSERT INTO users SELECT g, 'burst', NULL FROM generate_series($1, $2) g""", 80 + (k * 10) + 1, 80 + ((k + 1) * 10)));
            await Task.Delay(TimeSpan.FromSeconds(1));
            killedAt = Stopwatch.GetTimestamp();
            victim.Kill();
        }

        var options = h.Options(AblyPgTables.User);
        options.CompatibleMessages = true;
        await h.StartConnectorAsync(options);
        await burst;

        await WaitUntilAsync(async () => await h.BacklogAsync() == 0, TimeSpan.FromSeconds(30), async () => $"{await h.DescribeBacklogAsync()}; {Describe(h)}");
        await Task.Delay(300);

        // One message per change, with an id derived from its position: each change arrives exactly once, in order.
        var messages = h.Ably.GetMessages();
        AssertNoIdTwice(messages);
        Assert.All(messages, m => Assert.Equal("New message from the Ably/ Postgres connector", m.Name));
        var ids = messages.Select(m =>
        {
            using var data = JsonDocument.Parse(m.DataString!);
            return data.RootElement.GetProperty("row").GetProperty("Id").GetInt32();
        });
        Assert.Equal(Enumerable.Range(1, 480), ids);
        AssertKilledMidStream(messages, killedAt);
        var stats = h.Ably.GetStats();
        Assert.True((stats.ChannelRateLimited + stats.RateLimitedRequests) * 100 < stats.PublishRequests, "over 1% of requests were refused for rate; " + Describe(h));
    }

    private static void AssertKilledMidStream(IReadOnlyList<ReceivedMessage> messages, long killedAt) =>
        Assert.True(messages.Any(m => m.ReceivedAtStopwatchTimestamp < killedAt) && messages.Any(m => m.ReceivedAtStopwatchTimestamp > killedAt), "the kill did not come in the middle of the stream");

    /// <summary>Subscribers would see a message id twice.</summary>
    private static void AssertNoIdTwice(IReadOnlyList<ReceivedMessage> messages)
    {
        var repeated = messages.GroupBy(m => (m.Channel, m.Id)).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(repeated.Count == 0, $"{repeated.Count} message id(s) accepted twice, e.g. {string.Join(", ", repeated.Take(3))}");
    }

    /// <summary>Each change delivered on <paramref name="channel"/>, in acceptance order, with the moment Ably accepted it.</summary>
    private static List<(ChangePosition Position, long Value, long AcceptedAt)> Delivered(
        IReadOnlyList<ReceivedMessage> messages, string channel, Func<ReceivedMessage, IEnumerable<(ChangePosition Position, long Value)>> read) =>
        messages.Where(m => m.Channel == channel).SelectMany(m => read(m).Select(c => (c.Position, c.Value, m.ReceivedAtStopwatchTimestamp))).ToList();

    /// <summary>
    /// Every expected value arrived, once, in position order.
    /// </summary>
    private static void AssertWhole(List<(ChangePosition Position, long Value, long AcceptedAt)> delivered, IEnumerable<long> expected, string channel, long killedAt)
    {
        var first = new Dictionary<ChangePosition, long>();
        var order = new List<(ChangePosition Position, long Value)>();
        foreach (var (position, value, acceptedAt) in delivered)
        {
            if (first.TryGetValue(position, out var firstAccepted))
            {
                Assert.Fail($"on {channel}, the change at {position} arrived twice (first accepted {Stopwatch.GetElapsedTime(firstAccepted, killedAt).TotalSeconds:F1} s before the kill)");
            }

            first[position] = acceptedAt;
            order.Add((position, value));
        }

        var values = order.Select(c => c.Value).ToList();
        var missing = expected.Except(values).ToList();
        Assert.True(missing.Count == 0, $"on {channel}, {missing.Count} change(s) never arrived, from {missing.FirstOrDefault()} to {missing.LastOrDefault()}");
        Assert.Equal(expected, values);
        AssertStrictlyIncreasing(order.Select(c => c.Position), channel);
    }
}
