using System;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Shared;
using Xunit;

namespace AblyPgTyped.Tests.Connectors.Logical;

// The delivery suite again, with logical-replication capture: the same messages, ids, order and guarantees.

/// <summary><see cref="DeliveryTests"/> with logical-replication capture.</summary>
[Collection(PostgresCollection.Name)]
public sealed class LogicalDeliveryTests(PostgresFixture postgres) : DeliveryTests(postgres)
{
    protected override CaptureMode Capture => CaptureMode.LogicalReplication;
}

/// <summary><see cref="DurabilityTests"/> with logical-replication capture: kill -9, standby takeover, endpoint faults.</summary>
[Collection(PostgresCollection.Name)]
public sealed class LogicalDurabilityTests(PostgresFixture postgres) : DurabilityTests(postgres)
{
    protected override CaptureMode Capture => CaptureMode.LogicalReplication;
}

/// <summary><see cref="OrderingTests"/> with logical-replication capture: per-row commit order with concurrent writers.</summary>
[Collection(PostgresCollection.Name)]
public sealed class LogicalOrderingTests(PostgresFixture postgres) : OrderingTests(postgres)
{
    protected override CaptureMode Capture => CaptureMode.LogicalReplication;
}

/// <summary>
/// <see cref="ChannelMoveTests"/> with logical-replication capture (whole old rows), and what key-only identity allows.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class LogicalChannelMoveTests(PostgresFixture postgres) : ChannelMoveTests(postgres)
{
    protected override CaptureMode Capture => CaptureMode.LogicalReplication;

    [Fact]
    public async Task With_key_only_identity_an_update_that_changes_a_non_key_placeholder_publishes_the_update_alone()
    {
        await using var h = await StartAsync("""CREATE TABLE key_orders ("Id" int PRIMARY KEY, "CustomerId" int NOT NULL, "Status" text NOT NULL);""");
        await h.StartConnectorAsync(h.Options(AblyPgTables.KeyIdentityOrder));
        await h.ExecuteAsync("""INSERT INTO key_orders VALUES (1, 7, 'new')""");
        await h.ExecuteAsync("""UPDATE key_orders SET "CustomerId" = 8 WHERE "Id" = 1""");
        await h.ExecuteAsync("""INSERT INTO key_orders VALUES (2, 7, 'new')""");
        await h.Ably.WaitForMessagesAsync("customer:7", 2, TimeSpan.FromSeconds(30));
        await h.Ably.WaitForMessagesAsync("customer:8", 1, TimeSpan.FromSeconds(30));
        await Task.Delay(500);

        // The old customer is not in the log, so no channel can be told; the update itself goes out, nothing is dead-lettered.
        Assert.Equal(["insert", "insert"], h.Ably.GetMessages("customer:7").Select(m => m.Name));
        var update = Assert.Single(AblyPgTables.KeyIdentityOrder.ReadChanges(Assert.Single(h.Ably.GetMessages("customer:8")).DataString!));
        Assert.Equal(new KeyIdentityOrder(1, 8, "new"), update.New);
        Assert.Null(update.Old);
    }
}
