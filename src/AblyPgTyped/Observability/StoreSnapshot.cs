using System;

namespace AblyPgTyped.Observability;

/// <summary>What one look at the capture store found.</summary>
/// <param name="Changes">Changes waiting in the store (see <see cref="Exact"/>).</param>
/// <param name="Rows">Store rows (one statement's changes each, up to 1,000).</param>
/// <param name="Exact">Whether the counts are exact; beyond <see cref="StoreStatistics.ExactRows"/> rows they are estimated.</param>
/// <param name="Oldest">When the oldest change was captured (the database's clock); null when the store is empty.</param>
/// <param name="OldestAge">How long ago that was, on the database's clock.</param>
/// <param name="Bytes">The store's size on disk, with indexes and TOAST; null when the role may not see it.</param>
/// <param name="TakenAt">When the look was taken (a <see cref="System.Diagnostics.Stopwatch"/> timestamp).</param>
internal sealed record StoreSnapshot(long Changes, long Rows, bool Exact, DateTimeOffset? Oldest, TimeSpan? OldestAge, long? Bytes, long TakenAt);
