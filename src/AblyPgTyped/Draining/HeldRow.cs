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

    /// <summary>The row's dead letters, recorded in the same transaction that forgets the row (so exactly once).</summary>
    public List<DeadLetter>? DeadLetters { get; set; }
}
