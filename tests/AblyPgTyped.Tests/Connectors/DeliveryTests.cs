using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;

namespace AblyPgTyped.Tests.Connectors;

/// <summary>What subscribers receive, against a real PostgreSQL and the local endpoint over real HTTP.</summary>
[Collection(PostgresCollection.Name)]
public class DeliveryTests(PostgresFixture postgres)
{
    /// <summary>The capture mode the tests run in; a subclass runs them all again in another.</summary>
    protected virtual CaptureMode Capture => CaptureMode.Triggers;

    [Fact]
    public async Task Inserts_updates_and_deletes_arrive_in_the_typed_shape_and_read_back_as_changes()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Users);
        var handled = new ConcurrentQueue<Change<User>>();
        await h.StartConnectorAsync(h.Options(AblyPgTables.User), c => c
            .On<User>(ChangeKind.Insert, (change, _) => { handled.Enqueue(change); return Task.CompletedTask; })
            .On<User>(ChangeKind.Update, (change, _) => { handled.Enqueue(change); return Task.CompletedTask; }));

        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'Ada', NULL), (2, 'Bob', 'b')""");
        await h.ExecuteAsync("""UPDATE users SET "Name" = 'Ada L' WHERE "Id" = 1""");
        await h.ExecuteAsync("""DELETE FROM users WHERE "Id" = 2""");
        var messages = await h.WaitForMessagesAsync(4);

        // Order holds per channel; different channels are published concurrently.
        Assert.Equal(["insert", "insert", "delete"], messages.Where(m => m.Channel == "users").Select(m => m.Name));
        var update = Assert.Single(messages, m => m.Channel == "users:1");
        Assert.Equal("update", update.Name);
        Assert.Equal("json", update.Encoding);
        using (var data = JsonDocument.Parse(update.DataString!))
        {
            Assert.Equal("public", data.RootElement.GetProperty("schema").GetString());
            Assert.Equal("users", data.RootElement.GetProperty("table").GetString());
            Assert.Equal("update", data.RootElement.GetProperty("operation").GetString());
            Assert.Equal(1, data.RootElement.GetProperty("key").GetProperty("Id").GetInt32());
            Assert.Equal("Ada", data.RootElement.GetProperty("old").GetProperty("Name").GetString());
            Assert.Equal("Ada L", data.RootElement.GetProperty("new").GetProperty("Name").GetString());
        }

        using (var extras = JsonDocument.Parse(update.ExtrasJson!))
        {
            var headers = extras.RootElement.GetProperty("headers");
            Assert.Equal("users", headers.GetProperty("table").GetString());
            Assert.Equal("update", headers.GetProperty("operation").GetString());
        }

        var change = Assert.Single(AblyPgTables.User.ReadChanges(update.DataString!));
        Assert.Equal(ChangeKind.Update, change.Kind);
        Assert.Equal(new User(1, "Ada", null), change.Old);
        Assert.Equal(new User(1, "Ada L", null), change.New);
        var deleted = Assert.Single(AblyPgTables.User.ReadChanges(messages.Single(m => m.Name == "delete").DataString!));
        Assert.Equal(new User(2, "Bob", "b"), deleted.Old);
        Assert.Null(deleted.New);

        // Handlers run after publishing, with typed old and new rows, in position order on each channel. The two channels'
        // requests may be in flight at once, and either answered first.
        await Eventually(() => handled.Count == 3);
        Assert.Equal([ChangeKind.Insert, ChangeKind.Insert, ChangeKind.Update], handled.Select(c => c.Kind).Order());
        Assert.Equal("Ada L", handled.Single(c => c.Kind == ChangeKind.Update).New!.Name);
        var inserts = handled.Where(c => c.Kind == ChangeKind.Insert).Select(c => c.Position).ToList();
        Assert.Equal(inserts.Order(), inserts);
    }

    [Fact]
    public async Task Message_ids_are_derived_from_durable_positions()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Users);
        await h.StartConnectorAsync(h.Options(AblyPgTables.User));

        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 3) g""");
        var messages = await h.WaitForMessagesAsync(3);

        var installId = await h.ScalarAsync<string>("SELECT value FROM ablypg.state WHERE key = 'install_id'");
        var captureId = messages.Select(m => JsonDocument.Parse(m.DataString!).RootElement.GetProperty("position").GetString()!.Split('.')[0]).Distinct().Single();
        Assert.Equal([$"{installId}-{captureId}-0", $"{installId}-{captureId}-1", $"{installId}-{captureId}-2"], messages.Select(m => m.Id));
    }

    [Fact]
    public async Task A_row_over_8000_bytes_is_delivered_and_does_not_fail_the_insert()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Users);
        await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        var bio = string.Concat(Enumerable.Repeat("0123456789abcdef", 2000)); // 32,000 bytes of JSON

        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'big', $1)""", bio);
        var message = Assert.Single(await h.WaitForMessagesAsync(1));

        Assert.Equal(bio, AblyPgTables.User.ReadChanges(message.DataString!).Single().New!.Bio);
    }

    [Fact]
    public async Task An_oversize_change_is_dead_lettered_while_later_changes_flow()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Users);
        await h.StartConnectorAsync(h.Options(AblyPgTables.User));

        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'huge', repeat('x', 70000))""");
        await h.ExecuteAsync("""INSERT INTO users VALUES (2, 'small', NULL)""");
        var message = Assert.Single(await h.WaitForMessagesAsync(1));
        await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters") == 1);

        Assert.Equal("small", AblyPgTables.User.ReadChanges(message.DataString!).Single().New!.Name);
        var reason = await h.ScalarAsync<string>("SELECT reason FROM ablypg.dead_letters");
        Assert.Matches("^the message is [0-9]+ bytes; the maximum message size is 65536$", reason);
        Assert.Equal("huge", await h.ScalarAsync<string>("""SELECT data->>'Name' FROM ablypg.dead_letters"""));
        Assert.Contains(h.Logs.Entries, e => e.EventId == 1101 && e.Text.Contains("dead-lettered", StringComparison.Ordinal));
        await Eventually(async () => await h.BacklogAsync() == 0);
    }

    [Fact]
    public async Task Hostile_table_and_column_names_work_end_to_end()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.OrderLines);
        await h.StartConnectorAsync(h.Options(AblyPgTables.OrderLine));

        await h.ExecuteAsync(""""INSERT INTO "Sales Data"."Order ""Lines""; DROP" VALUES (7, 1, 'it''s "fine" \ here')"""");
        await h.ExecuteAsync(""""UPDATE "Sales Data"."Order ""Lines""; DROP" SET "it's \ ""quoted""" = 'new' WHERE "order id" = 7"""");
        await h.ExecuteAsync(""""DELETE FROM "Sales Data"."Order ""Lines""; DROP" WHERE "order id" = 7 AND "select" = 1"""");
        var messages = await h.WaitForMessagesAsync(3);

        Assert.All(messages, m => Assert.Equal("orders:7", m.Channel));
        var changes = messages.Select(m => AblyPgTables.OrderLine.ReadChanges(m.DataString!).Single()).ToList();
        Assert.Equal([ChangeKind.Insert, ChangeKind.Update, ChangeKind.Delete], changes.Select(c => c.Kind));
        Assert.All(changes, c => Assert.Equal(("Sales Data", "Order \"Lines\"; DROP"), (c.Schema, c.Table)));
        Assert.Equal(new OrderLine(7, 1, "it's \"fine\" \\ here"), changes[0].New);
        Assert.Equal(new OrderLine(7, 1, "new"), changes[1].New);

        // The key, under its hostile column names, in both capture modes (a key-only replica identity logs no more for a delete).
        using var update = JsonDocument.Parse(messages[1].DataString!);
        Assert.Equal(7, update.RootElement.GetProperty("key").GetProperty("order id").GetInt32());
        Assert.Equal(1, update.RootElement.GetProperty("key").GetProperty("select").GetInt32());
        Assert.Equal((7, 1), (changes[2].Old!.OrderId, changes[2].Old!.Line));
        Assert.Null(changes[2].New);
    }

    [Fact]
    public async Task Bundling_packs_a_busy_channel_into_few_messages_that_read_back_in_order()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Users);
        var options = h.Options(AblyPgTables.User);
        options.MaxChangesPerMessage = 500; // the default: adaptive bundling on
        await h.StartConnectorAsync(options);

        // 5,000 changes at once on one channel: far more than 50 messages/s could carry one by one.
        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 5000) g""");
        await Eventually(async () => await h.BacklogAsync() == 0, seconds: 10);
        var messages = h.Ably.GetMessages();

        Assert.Contains(messages, m => m.Name == "bundle");
        Assert.InRange(messages.Count, 2, 200);
        var ids = messages.SelectMany(m => AblyPgTables.User.ReadChanges(m.DataString!)).Select(c => c.New!.Id).ToList();
        Assert.Equal(Enumerable.Range(1, 5000), ids);
        Assert.Equal(0, h.Ably.GetStats().ChannelRateLimited);
    }

    [Fact]
    public async Task A_throwing_handler_is_logged_and_the_stream_goes_on()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Users);
        var seen = new ConcurrentQueue<int>();
        await h.StartConnectorAsync(h.Options(AblyPgTables.User), c => c.On<User>(ChangeKind.Insert, (change, _) =>
        {
            seen.Enqueue(change.New!.Id);
            return change.New.Id == 1 ? throw new InvalidOperationException("boom") : Task.CompletedTask;
        }));

        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'a', NULL)""");
        await h.ExecuteAsync("""INSERT INTO users VALUES (2, 'b', NULL)""");
        await h.WaitForMessagesAsync(2);

        await Eventually(() => seen.Count == 2);
        Assert.Contains(h.Logs.Entries, e => e.EventId == 1102 && e.Text.Contains("boom", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Registering_a_handler_for_an_uncaptured_kind_fails_clearly()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Counters);
        await using var connector = new Connector(h.Options(AblyPgTables.Counter));

        var error = Assert.Throws<InvalidOperationException>(() => connector.On<Counter>(ChangeKind.Delete, (_, _) => Task.CompletedTask));

        Assert.Equal("Counter does not capture deletes: give [AblyTable] a Delete channel.", error.Message);
    }

    internal static async Task Eventually(Func<bool> condition, double seconds = 20) => await Eventually(() => Task.FromResult(condition()), seconds);

    internal static async Task Eventually(Func<Task<bool>> condition, double seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold in time");
            await Task.Delay(50);
        }
    }
}
