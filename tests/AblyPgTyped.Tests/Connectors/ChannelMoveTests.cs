using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;

namespace AblyPgTyped.Tests.Connectors;

/// <summary>
/// An order on its customer's channel: an update that changes the customer moves the row to another channel. With
/// logical replication its old rows are whole (<see cref="ReplicaIdentity.Full"/>), as the channel names a non-key property.
/// </summary>
[AblyTable("customer_orders", Insert = "customer:{CustomerId}", Update = "customer:{CustomerId}", Delete = "customer:{CustomerId}",
    ReplicaIdentity = ReplicaIdentity.Full)]
public sealed record CustomerOrder(int Id, int CustomerId, string Status);

/// <summary>The same table with key-only identity: with logical replication an update logs no old customer.</summary>
[AblyTable("key_orders", Insert = "customer:{CustomerId}", Update = "customer:{CustomerId}")]
public sealed record KeyIdentityOrder(int Id, int CustomerId, string Status);

/// <summary>
/// An update that moves a row to another per-row channel: the channel it left hears a delete marked <c>moved</c>, with
/// the old row only, at the update's position and under an id of its own; the new channel hears the update.
/// </summary>
[Collection(PostgresCollection.Name)]
public class ChannelMoveTests(PostgresFixture postgres)
{
    private const string Schema = """CREATE TABLE customer_orders ("Id" int PRIMARY KEY, "CustomerId" int NOT NULL, "Status" text NOT NULL);""";

    /// <summary>The capture mode the tests run in; a subclass runs them all again in another.</summary>
    protected virtual CaptureMode Capture => CaptureMode.Triggers;

    /// <summary>A harness in the tests' capture mode.</summary>
    protected Task<ConnectorHarness> StartAsync(params string[] schema) => ConnectorHarness.StartAsync(postgres, Capture, schema);

    [Fact]
    public async Task The_channel_a_row_left_hears_a_moved_delete_and_each_channel_keeps_its_order()
    {
        await using var h = await StartAsync(Schema);
        var handled = new List<Change<CustomerOrder>>();
        await h.StartConnectorAsync(h.Options(AblyPgTables.CustomerOrder), c => c
            .On<CustomerOrder>(ChangeKind.Update, (change, _) => { lock (handled) { handled.Add(change); } return Task.CompletedTask; })
            .On<CustomerOrder>(ChangeKind.Delete, (change, _) => { lock (handled) { handled.Add(change); } return Task.CompletedTask; }));

        await h.ExecuteAsync("""INSERT INTO customer_orders VALUES (1, 7, 'new')""");
        await h.ExecuteAsync("""UPDATE customer_orders SET "Status" = 'paid' WHERE "Id" = 1""");
        await h.ExecuteAsync("""UPDATE customer_orders SET "CustomerId" = 8 WHERE "Id" = 1""");        // 7 -> 8
        await h.ExecuteAsync("""UPDATE customer_orders SET "Status" = 'shipped' WHERE "Id" = 1""");
        await h.ExecuteAsync("""UPDATE customer_orders SET "CustomerId" = 7, "Status" = 'returned' WHERE "Id" = 1"""); // 8 -> 7
        await h.ExecuteAsync("""DELETE FROM customer_orders WHERE "Id" = 1""");
        await h.WaitForMessagesAsync(8);

        var seven = h.Ably.GetMessages("customer:7");
        var eight = h.Ably.GetMessages("customer:8");
        Assert.Equal(["insert", "update", "delete", "update", "delete"], seven.Select(m => m.Name));
        Assert.Equal(["update", "update", "delete"], eight.Select(m => m.Name));

        var onSeven = seven.SelectMany(m => AblyPgTables.CustomerOrder.ReadChanges(m.DataString!)).ToList();
        var onEight = eight.SelectMany(m => AblyPgTables.CustomerOrder.ReadChanges(m.DataString!)).ToList();
        Assert.Equal(
            ["Insert  -> 7 new", "Update 7 new -> 7 paid", "Delete moved 7 paid -> ", "Update 8 shipped -> 7 returned", "Delete 7 returned -> "],
            onSeven.Select(Describe));
        Assert.Equal(["Update 7 paid -> 8 paid", "Update 8 paid -> 8 shipped", "Delete moved 8 shipped -> "], onEight.Select(Describe));

        // Each departure shares its update's position, and so travels in position order on its channel too.
        Assert.Equal(onEight[0].Position, onSeven[2].Position);
        Assert.Equal(onSeven[3].Position, onEight[2].Position);
        Assert.True(onSeven.Select(c => c.Position).SequenceEqual(onSeven.Select(c => c.Position).Order()));
        Assert.True(onEight.Select(c => c.Position).SequenceEqual(onEight.Select(c => c.Position).Order()));

        // Its id is its own (derived from the same durable position), and it says nothing of the row's new value.
        var departure = seven[2];
        Assert.Equal(eight[0].Id + "-moved", departure.Id);
        Assert.Equal(seven[3].Id + "-moved", eight[2].Id);
        using (var data = JsonDocument.Parse(departure.DataString!))
        {
            Assert.True(data.RootElement.GetProperty("moved").GetBoolean());
            Assert.Equal("delete", data.RootElement.GetProperty("operation").GetString());
            Assert.Equal(1, data.RootElement.GetProperty("key").GetProperty("Id").GetInt32());
            Assert.False(data.RootElement.TryGetProperty("new", out _), "a departure carries the old row only");
        }

        using (var extras = JsonDocument.Parse(departure.ExtrasJson!))
        {
            Assert.Equal("delete", extras.RootElement.GetProperty("headers").GetProperty("operation").GetString());
        }

        // Handlers run once per change (in acceptance order, which across channels is not position order): for the
        // updates, not for the departures they caused.
        await Eventually(() => { lock (handled) { return handled.Count == 5; } });
        await Task.Delay(300);
        lock (handled)
        {
            Assert.Equal(
                ["Update 7 new -> 7 paid", "Update 7 paid -> 8 paid", "Update 8 paid -> 8 shipped", "Update 8 shipped -> 7 returned", "Delete 7 returned -> "],
                handled.OrderBy(c => c.Position).Select(Describe));
        }
    }

    [Fact]
    public async Task Many_rows_moving_at_once_are_bundled_in_position_order_on_both_channels()
    {
        await using var h = await StartAsync(Schema);
        var options = h.Options(AblyPgTables.CustomerOrder);
        options.MaxChangesPerMessage = 100; // 300 changes on a channel of 50 messages/s are bundled
        await h.StartConnectorAsync(options);

        await h.ExecuteAsync("""INSERT INTO customer_orders SELECT g, 1, 'new' FROM generate_series(1, 300) g""");
        await h.ExecuteAsync("""UPDATE customer_orders SET "CustomerId" = 2""");
        await WaitForChangesAsync(h, "customer:1", 600);
        await WaitForChangesAsync(h, "customer:2", 300);

        var one = h.Ably.GetMessages("customer:1");
        var onOne = one.SelectMany(m => AblyPgTables.CustomerOrder.ReadChanges(m.DataString!)).ToList();
        var onTwo = h.Ably.GetMessages("customer:2").SelectMany(m => AblyPgTables.CustomerOrder.ReadChanges(m.DataString!)).ToList();
        Assert.Equal(600, onOne.Count);
        Assert.All(onOne.Take(300), c => Assert.Equal(ChangeKind.Insert, c.Kind));
        Assert.All(onOne.Skip(300), c => Assert.True(c is { Kind: ChangeKind.Delete, Moved: true, Old.CustomerId: 1, New: null }));
        Assert.All(onTwo, c => Assert.True(c is { Kind: ChangeKind.Update, Moved: false, Old.CustomerId: 1, New.CustomerId: 2 }));
        Assert.Equal(onTwo.Select(c => c.Position), onOne.Skip(300).Select(c => c.Position));
        Assert.Equal(Enumerable.Range(1, 300), onTwo.Select(c => c.New!.Id).Order());
        Assert.True(onOne.Select(c => c.Position).SequenceEqual(onOne.Select(c => c.Position).Order()), "positions increase on the channel left");
        Assert.Contains(one, m => m.Name == "bundle" && m.Id.EndsWith("-moved", StringComparison.Ordinal));
        Assert.Equal(one.Count, one.Select(m => m.Id).Distinct().Count());
    }

    [Fact]
    public async Task A_departure_still_failing_when_the_connector_stops_is_sent_after_the_restart_though_its_update_was_accepted()
    {
        await using var h = await StartAsync(Schema);
        var first = await h.StartConnectorAsync(h.Options(AblyPgTables.CustomerOrder));
        await h.ExecuteAsync("""INSERT INTO customer_orders VALUES (1, 7, 'new')""");
        await h.Ably.WaitForMessagesAsync("customer:7", 1, TimeSpan.FromSeconds(30));

        // The old channel fails (503, retried); the new channel accepts the update.
        var failing = h.Ably.Faults.FailAll(503, 50003, channel: "customer:7");
        await h.ExecuteAsync("""UPDATE customer_orders SET "CustomerId" = 8 WHERE "Id" = 1""");
        await h.Ably.WaitForMessagesAsync("customer:8", 1, TimeSpan.FromSeconds(30));

        // Past the age at which the finished changes of a partly finished row are marked in the store: the change is
        // not finished while its departure is on its way, so it stays whole.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.True(failing.TimesApplied > 0, "the departure was tried");
        if (Capture == CaptureMode.Triggers)
        {
            Assert.Equal(1L, await h.ScalarAsync<long>("""SELECT count(*) FROM ablypg.changes WHERE op = 'U' AND data::text <> '[null]'"""));
        }

        await first.StopAsync();

        h.Ably.Faults.Clear();
        await h.StartConnectorAsync(h.Options(AblyPgTables.CustomerOrder));
        var seven = await h.Ably.WaitForMessagesAsync("customer:7", 2, TimeSpan.FromSeconds(30));
        var departure = Assert.Single(AblyPgTables.CustomerOrder.ReadChanges(seven[1].DataString!));
        Assert.True(departure is { Kind: ChangeKind.Delete, Moved: true, Old: { CustomerId: 7, Status: "new" } });
        Assert.Single(h.Ably.GetMessages("customer:8"));
        if (Capture == CaptureMode.Triggers)
        {
            await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.changes") == 0);
        }
    }

    private static string Describe(Change<CustomerOrder> c) => $"{c.Kind}{(c.Moved ? " moved" : "")} {Row(c.Old)} -> {Row(c.New)}";

    private static string Row(CustomerOrder? order) => order is null ? "" : $"{order.CustomerId} {order.Status}";

    private static async Task WaitForChangesAsync(ConnectorHarness h, string channel, int changes)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (h.Ably.GetMessages(channel).Sum(m => AblyPgTables.CustomerOrder.ReadChanges(m.DataString!).Count) < changes)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{channel} did not get {changes} changes");
            await Task.Delay(50);
        }
    }

    private static Task Eventually(Func<bool> condition) => Eventually(() => Task.FromResult(condition()));

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 30 s");
            await Task.Delay(50);
        }
    }
}
