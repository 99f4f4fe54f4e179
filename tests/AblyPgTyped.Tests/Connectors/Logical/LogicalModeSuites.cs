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
