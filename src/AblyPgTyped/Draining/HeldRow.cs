using System.Collections.Generic;
using AblyPgTyped.Capture;

namespace AblyPgTyped.Draining;

/// <summary>
/// A capture row read from the store and not yet forgotten: it may be deleted once each of its changes was accepted
/// by Ably (and its handlers ran), dead-lettered, or needed no message.
/// </summary>
internal sealed class HeldRow(long id, int changes, long bytes)
{
    public long Id { get; } = id;

    /// <summary>How many changes the row holds.</summary>
    public int Changes { get; } = changes;

    /// <summary>What the row takes in memory (its captured JSON and renderings), counted against the drain's bound.</summary>
    public long Bytes { get; } = bytes;

    /// <summary>Changes of the row still on their way; changed under <see cref="DrainProgress"/>'s lock.</summary>
    public int Outstanding { get; set; }

    /// <summary>The row's dead letters not recorded yet: recorded in the transaction that forgets the row, or that marks its finished changes.</summary>
    public List<DeadLetter>? DeadLetters { get; set; }

    /// <summary>Indexes of the row's changes finished (accepted and handled, or rejected) but not yet marked in the store.</summary>
    public List<int>? Finished { get; set; }

    /// <summary>When the oldest of <see cref="Finished"/> finished (a <see cref="System.Diagnostics.Stopwatch"/> timestamp); 0 when none.</summary>
    public long FinishedSince { get; set; }
}
