using System;
using System.Collections.Generic;

namespace AblyPgTyped.Observability;

/// <summary>
/// A replication slot's lag, for a capture mode that reads one (logical replication): registered with
/// <see cref="ConnectorInstruments.AddSlotLag"/>, it becomes the gauges <c>ablypg.replication_slot.lag</c> (bytes) and
/// <c>ablypg.replication_slot.lag_time</c> (seconds) of the connectors' meter, read when a listener collects.
/// </summary>
internal interface ISlotLagSource
{
    /// <summary>The gauges' tags (the capture schema, the slot's name).</summary>
    KeyValuePair<string, object?>[] Tags { get; }

    /// <summary>WAL bytes between the server's current position and the slot's confirmed flush position; null when unknown.</summary>
    long? LagBytes { get; }

    /// <summary>How far behind the slot's confirmed position is in time; null when unknown.</summary>
    TimeSpan? LagTime { get; }
}
