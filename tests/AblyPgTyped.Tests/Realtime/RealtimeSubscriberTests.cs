using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace AblyPgTyped.Tests.Realtime;

/// <summary>
/// The far end of the product: an ably-js Realtime subscriber (Node.js, the real npm client) on the local endpoint's
/// WebSocket, fed by a real connector from a real PostgreSQL.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RealtimeSubscriberTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private const string Inserts = "users";
    private const string Updates = "users:1";

    [Fact]
    public async Task Ably_js_realtime_gets_every_change_once_in_order_per_channel_with_bundles_across_a_dropped_connection()
    {
        var started = Stopwatch.StartNew();
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var options = h.Options(AblyPgTables.User);
        options.MaxChangesPerMessage = 100; // bursts on one channel are bundled
        await h.StartConnectorAsync(options);

        await using var node = await AblyJs.StartScriptAsync("subscribe.js", h.Ably.BaseAddress.ToString().TrimEnd('/'), ConnectorHarness.ApiKey, Inserts, Updates);
        var log = new SubscriberLog(node);
        await log.WaitUntilAsync("both channels attached", l => l.Events.Count(e => e.GetProperty("event").GetString() == "attached") == 2);

        // Singles, then bursts that the connector bundles: 300 inserts in one statement, 100 updates in one transaction.
        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'Ada', NULL)""");
        for (var i = 1; i <= 3; i++)
        {
            await h.ExecuteAsync($"""UPDATE users SET "Name" = 'Ada v{i}' WHERE "Id" = 1""");
        }

        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g, NULL FROM generate_series(2, 301) g""");
        await h.ExecuteAsync("""DO $$ BEGIN FOR i IN 4..103 LOOP UPDATE users SET "Name" = 'Ada v' || i WHERE "Id" = 1; END LOOP; END $$""");
        await WaitForStoredChangesAsync(h, Inserts, 301);
        await WaitForStoredChangesAsync(h, Updates, 103);
        await log.WaitUntilAsync("the first 404 changes", l => l.Changes(Inserts).Count == 301 && l.Changes(Updates).Count == 103);

        // The network drops; the endpoint keeps the subscriber away for 4 s while changes are published.
        Assert.Equal(1, h.Ably.DisconnectRealtimeClients(TimeSpan.FromSeconds(4)));
        await h.ExecuteAsync("""DELETE FROM users WHERE "Id" BETWEEN 2 AND 101""");
        for (var i = 104; i <= 108; i++)
        {
            await h.ExecuteAsync($"""UPDATE users SET "Name" = 'Ada v{i}' WHERE "Id" = 1""");
        }

        await WaitForStoredChangesAsync(h, Inserts, 401);
        await WaitForStoredChangesAsync(h, Updates, 108);
        Assert.True(h.Ably.OpenRealtimeConnections == 0, "the gap's changes were published while the subscriber was disconnected");

        // Back online: ably-js resumes, re-attaches with its channel serials and receives the gap, then live changes.
        await log.WaitUntilAsync("the reconnection", l => l.States.LastOrDefault() == "connected" && l.States.Contains("disconnected"));
        await h.ExecuteAsync("""INSERT INTO users VALUES (500, 'Late', NULL)""");
        await h.ExecuteAsync("""DELETE FROM users WHERE "Id" = 1""");
        await WaitForStoredChangesAsync(h, Inserts, 403);
        await log.WaitUntilAsync("all 511 changes", l => l.Changes(Inserts).Count >= 403 && l.Changes(Updates).Count >= 108);

        // Exactly what the endpoint accepted on each channel, once and in order (message ids), and nothing else.
        foreach (var channel in new[] { Inserts, Updates })
        {
            Assert.Equal(h.Ably.GetMessages(channel).Select(m => m.Id), log.Messages(channel).Select(m => m.GetProperty("id").GetString()));
            var positions = log.Changes(channel).Select(c => c.Position).ToList();
            Assert.True(positions.Zip(positions.Skip(1)).All(p => p.First.CompareTo(p.Second) < 0), channel + ": positions strictly increase");
            Assert.Contains(log.Messages(channel), m => m.GetProperty("name").GetString() == "bundle");
        }

        var inserted = log.Changes(Inserts);
        Assert.Equal(
            Enumerable.Range(1, 301).Select(id => $"insert {id}").Concat(Enumerable.Range(2, 100).Select(id => $"delete {id}")).Concat(["insert 500", "delete 1"]),
            inserted.Select(c => $"{c.Kind.ToString().ToLowerInvariant()} {c.Row.Id}"));
        Assert.Equal(Enumerable.Range(1, 108).Select(i => $"Ada v{i}"), log.Changes(Updates).Select(c => c.New!.Name));
        Assert.All(log.Changes(Updates), c => Assert.Equal(ChangeKind.Update, c.Kind));

        // The drop was a real one, and ably-js kept continuity on both channels (the re-attach was a resume).
        Assert.Contains(log.Events, e => e.GetProperty("event").GetString() == "channel" && e.GetProperty("channel").GetString() == Inserts && e.GetProperty("resumed").GetBoolean());
        Assert.Contains(log.Events, e => e.GetProperty("event").GetString() == "channel" && e.GetProperty("channel").GetString() == Updates && e.GetProperty("resumed").GetBoolean());

        await node.WriteLineAsync("close");
        await log.WaitUntilAsync("closed", l => l.Events.Any(e => e.GetProperty("event").GetString() == "closed"));
        output.WriteLine($"{log.Messages(Inserts).Count} + {log.Messages(Updates).Count} messages for 511 changes; states {string.Join(" ", log.States)}; {started.Elapsed.TotalSeconds:F1} s");
    }

    private static async Task WaitForStoredChangesAsync(ConnectorHarness h, string channel, int changes)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (StoredChanges(h, channel) < changes)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the endpoint has {StoredChanges(h, channel)} of {changes} changes on {channel}");
            await Task.Delay(20);
        }
    }

    private static int StoredChanges(ConnectorHarness h, string channel) =>
        h.Ably.GetMessages(channel).Sum(m => AblyPgTables.User.ReadChanges(m.DataString!).Count);

    /// <summary>Everything the subscriber printed, read as it comes.</summary>
    private sealed class SubscriberLog
    {
        private readonly NodeScript _node;

        public SubscriberLog(NodeScript node) => _node = node;

        public List<JsonElement> Events { get; } = [];

        public IEnumerable<string> States => Events.Where(e => e.GetProperty("event").GetString() == "state").Select(e => e.GetProperty("state").GetString()!);

        public List<JsonElement> Messages(string channel) =>
            Events.Where(e => e.GetProperty("event").GetString() == "message" && e.GetProperty("channel").GetString() == channel).ToList();

        /// <summary>The typed changes of the channel's messages, bundles flattened, as a consumer reads them.</summary>
        public List<Change<User>> Changes(string channel) =>
            Messages(channel).SelectMany(m => AblyPgTables.User.ReadChanges(m.GetProperty("data").GetRawText())).ToList();

        public async Task WaitUntilAsync(string what, Func<SubscriberLog, bool> done, double seconds = 30)
        {
            var deadline = DateTime.UtcNow.AddSeconds(seconds);
            while (!done(this))
            {
                var left = deadline - DateTime.UtcNow;
                Assert.True(left > TimeSpan.Zero, $"ably-js subscriber: timed out waiting for {what}; saw {Events.Count} events, states {string.Join(" ", States)}\n{_node.Error}");
                string? line;
                try
                {
                    line = await _node.ReadLineAsync(left);
                }
                catch (TimeoutException)
                {
                    continue;
                }

                Assert.True(line is not null, $"the ably-js subscriber exited while waiting for {what}:\n{_node.Error}");
                Events.Add(JsonDocument.Parse(line).RootElement.Clone());
            }
        }
    }
}
