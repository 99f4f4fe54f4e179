using System;
using System.Collections.Generic;

namespace AblyPgTyped;

/// <summary>
/// A snapshot of a connector's health (<see cref="Connector.Health"/>); the hosted connector's health check reports the
/// same. The store figures come from the connector's periodic look at its capture store
/// (<see cref="ConnectorHealthOptions.StoreCheckInterval"/>), so they may be that old; they are null until the first look.
/// </summary>
/// <param name="Status">Healthy, Degraded or Unhealthy.</param>
/// <param name="Role">Active, standing by, or stopped.</param>
/// <param name="Description">One sentence: what the connector is doing, or what is wrong.</param>
/// <param name="Problems">Each reason for a status other than Healthy; empty when healthy.</param>
/// <param name="Backlog">
/// Changes in the capture store, not yet accepted by Ably (or dead-lettered): exact up to 10,000 store rows, estimated
/// beyond from the range of row ids and the changes per row of the oldest rows.
/// </param>
/// <param name="OldestChangeAge">How long ago the oldest change in the store was captured; null when the store is empty.</param>
/// <param name="StoreBytes">The store's size on disk, with its indexes and TOAST.</param>
public sealed record ConnectorHealth(
    ConnectorHealthStatus Status,
    ConnectorRole Role,
    string Description,
    IReadOnlyList<string> Problems,
    long? Backlog,
    TimeSpan? OldestChangeAge,
    long? StoreBytes);
