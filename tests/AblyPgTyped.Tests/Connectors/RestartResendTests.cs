using System;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;
using static AblyPgTyped.Tests.Connectors.AblyLimitsTests;

namespace AblyPgTyped.Tests.Connectors;

/// <summary>
/// What Ably accepted is forgotten within moments, even while other changes wait on a failing channel, so a restart
/// re-sends nothing Ably accepted more than a few seconds before (Ably de-duplicates ids for 2 minutes only).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RestartResendTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_restart_after_a_partly_accepted_load_re_sends_nothing_accepted_more_than_5_s_before()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users, MoreSchemas.Rooms);

        // Every update channel, and one room channel, fail with 503 for as long as the first connector lives.
        var failing = Enumerable.Range(1, 100).Select(i => $"users:{i}").Append("room-failing").ToList();
        foreach (var channel in failing)
        {
            h.Ably.Faults.FailAll(503, 50300, channel: channel);
        }

        using (var victim = ConnectorProcess.Start(h, "tables=users,rooms"))
        {
            await victim.WaitUntilActiveAsync();
            await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g, NULL FROM generate_series(1, 100) g""");
            await h.ExecuteAsync("""UPDATE users SET "Name" = 'updated'""");

            // One statement, so one store row, whose changes go to three channels: two accept them, one fails.
            await h.ExecuteAsync("""INSERT INTO rooms VALUES (1, 'room-a'), (2, 'room-failing'), (3, 'room-b')""");

            await WaitUntilAsync(
                () => Task.FromResult(DeliveredUsers(h).Count == 100 && h.Ably.GetAcceptedMessageCount("room-a") == 1 && h.Ably.GetAcceptedMessageCount("room-b") == 1),
                TimeSpan.FromSeconds(20),
                () => Task.FromResult($"the inserts were not accepted: {DeliveredUsers(h).Count} users; {Describe(h)}"));
            await WaitUntilAsync(
                () => Task.FromResult(h.Ably.GetStats().Channels is var channels && failing.All(c => channels.TryGetValue(c, out var s) && s.RejectedMessages > 0)),
                TimeSpan.FromSeconds(20),
                () => Task.FromResult($"not every failing channel was tried; {Describe(h)}"));

            // Well past the 5 s within which accepted changes must be forgotten, then no goodbye.
            var lastAccepted = h.Ably.GetMessages().Max(m => m.ReceivedAtStopwatchTimestamp);
            var wait = TimeSpan.FromSeconds(6) - Stopwatch.GetElapsedTime(lastAccepted);
            await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
            victim.Kill();
        }

        var acceptedBefore = h.Ably.GetMessages().Count;
        Assert.True(await StoreCountAsync(h) >= 101, "the failing changes left the store");
        h.Ably.Faults.Clear();
        var restartedAt = Stopwatch.GetTimestamp();
        var options = h.Options(AblyPgTables.User, AblyPgTables.Room);
        options.MaxChangesPerMessage = 500; // as the process ran: the product default
        await h.StartConnectorAsync(options);

        await WaitUntilAsync(async () => await StoreCountAsync(h) == 0, TimeSpan.FromSeconds(20), async () => $"{await StoreCountAsync(h)} change row(s) left in the store; {Describe(h)}");
        await Task.Delay(300);

        // Everything that waited arrived, once.
        Assert.All(Enumerable.Range(1, 100), i => Assert.Equal("updated", Assert.Single(h.Ably.GetMessages($"users:{i}").SelectMany(m => AblyPgTables.User.ReadChanges(m.DataString!))).New!.Name));
        Assert.Equal(2, Assert.Single(h.Ably.GetMessages("room-failing").SelectMany(m => AblyPgTables.Room.ReadChanges(m.DataString!))).New!.Id);

        // What was accepted before the kill was not sent again: the endpoint neither dropped a repeated id (its
        // idempotency log) nor stored anything new on those channels after the restart (its receipt log).
        var stats = h.Ably.GetStats();
        foreach (var channel in new[] { "users", "room-a", "room-b" })
        {
            Assert.True(stats.Channels[channel].DuplicateMessages == 0, $"{stats.Channels[channel].DuplicateMessages} message(s) accepted on {channel} before the kill were sent again after the restart");
            Assert.True(!h.Ably.GetMessages(channel).Any(m => m.ReceivedAtStopwatchTimestamp > restartedAt), $"changes accepted on {channel} before the kill were sent again after the restart, in new messages");
        }

        Assert.Equal(Enumerable.Range(1, 100), DeliveredUsers(h));
        Assert.Equal(acceptedBefore + 101, h.Ably.GetMessages().Count); // the updates and the failed room, nothing else
    }

    private static System.Collections.Generic.List<int> DeliveredUsers(ConnectorHarness h) =>
        h.Ably.GetMessages("users").SelectMany(m => AblyPgTables.User.ReadChanges(m.DataString!)).Select(c => c.New!.Id).ToList();
}
