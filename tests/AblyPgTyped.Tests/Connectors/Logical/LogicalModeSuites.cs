using System;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Shared;
using Xunit;

namespace AblyPgTyped.Tests.Connectors.Logical;

// The delivery suite again, with logical-replication capture: the same messages, ids, order, dead letters and
// guarantees. Each suite asks for its capture mode (Capture) and checks what is left to publish through
// ConnectorHarness.BacklogAsync: the trigger store's rows, or whether the slot has confirmed the last write.
//
// Not re-run here, and why:
// - WakeupTests: the trigger store's NOTIFY wake-up flag; a slot streams, it has no flag.
// - RestartResendTests: with triggers an accepted change is forgotten at once, even while other changes of its store row
//   wait; a slot is confirmed by whole transactions, so a restart re-sends, with the same ids, what a transaction's other
//   channels had published (the README's logical-replication section says so).
// - CaptureSafetyTests: the triggers' own behaviour (what their statements do to the application's writes, how the
//   store cuts large statements); LogicalReplicationTests, LogicalKillTests and CaptureEquivalenceTests cover the slot's
//   counterparts.
// - LargeRowBacklogTests: counts the store's rows, and takes over two minutes; the logical scenario of the benchmark
//   program measures a large transaction's memory instead.
// - HotChannelPacingTests: one channel past its rate for over a minute, left out for time; the pacing is the
//   publisher's, the same in both modes, and AblyLimitsTests' logical run covers throttled and failing channels.

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

/// <summary><see cref="PoisonChangeTests"/> with logical-replication capture: a change that cannot become a message is dead-lettered alone.</summary>
[Collection(PostgresCollection.Name)]
public sealed class LogicalPoisonChangeTests(PostgresFixture postgres) : PoisonChangeTests(postgres)
{
    protected override CaptureMode Capture => CaptureMode.LogicalReplication;
}

/// <summary>
/// <see cref="AblyLimitsTests"/> with logical-replication capture: a throttled or failing channel delays only itself (the
/// slot is confirmed only past what every channel has published), many channels stay within the account's rate.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class LogicalAblyLimitsTests(PostgresFixture postgres) : AblyLimitsTests(postgres)
{
    protected override CaptureMode Capture => CaptureMode.LogicalReplication;
}

/// <summary>
/// <see cref="BackfillTests"/> with logical-replication capture: the snapshots travel through the slot, in commit order
/// with the writers' changes; kill -9 twice, a named channel and range, cancel.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class LogicalBackfillTests(PostgresFixture postgres, Xunit.Abstractions.ITestOutputHelper output) : BackfillTests(postgres, output)
{
    protected override CaptureMode Capture => CaptureMode.LogicalReplication;
}

/// <summary><see cref="Cli.BackfillCommandTests"/> with logical-replication capture: <c>ablypg backfill</c> with the original's config file.</summary>
[Collection(PostgresCollection.Name)]
public sealed class LogicalBackfillCommandTests(PostgresFixture postgres, Xunit.Abstractions.ITestOutputHelper output) : Cli.BackfillCommandTests(postgres, output)
{
    protected override CaptureMode Capture => CaptureMode.LogicalReplication;
}

/// <summary><see cref="CrashDuringLoadTests"/> with logical-replication capture: kill -9 under load at Ably's limits.</summary>
[Collection(PostgresCollection.Name)]
public sealed class LogicalCrashDuringLoadTests(PostgresFixture postgres) : CrashDuringLoadTests(postgres)
{
    protected override CaptureMode Capture => CaptureMode.LogicalReplication;
}

/// <summary><see cref="FencingTests"/> with logical-replication capture: a deposed leader, its replication stream cut off too, publishes nothing.</summary>
[Collection(PostgresCollection.Name)]
public sealed class LogicalFencingTests(PostgresFixture postgres) : FencingTests(postgres)
{
    protected override CaptureMode Capture => CaptureMode.LogicalReplication;
}

/// <summary><see cref="PartitionTests"/> with logical-replication capture: a silently partitioned leader's walsender keeps the slot until the standby ends it.</summary>
[Collection(PostgresCollection.Name)]
public sealed class LogicalPartitionTests(PostgresFixture postgres) : PartitionTests(postgres)
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
