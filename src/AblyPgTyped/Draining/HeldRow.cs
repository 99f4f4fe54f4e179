using System.Collections.Generic;
using AblyPgTyped.Capture;

namespace AblyPgTyped.Draining;

/// <summary>
/// A capture row read from the store and not yet forgotten: it may be deleted once each of its changes was accepted
/// by Ably (and its handlers ran), dead-lettered, or needed no message.
/// </summary>
internal sealed class HeldRow(long id, int changes)
{
    /// <summary>
    /// What each change held takes besides its bytes of JSON: its entry in its lane, its route and position, its
    /// message and the message's id (about 400 bytes on a 64-bit runtime, measured with a heap dump).
    /// </summary>
    private const int BytesPerChange = 400;

    public long Id { get; } = id;

    /// <summary>How many changes the row holds.</summary>
    public int Changes { get; } = changes;

    /// <summary>What the row takes in memory, counted against the drain's bound in bytes (see <see cref="Measure"/>).</summary>
    public long Bytes { get; private set; }

    /// <summary>Changes of the row still on their way; changed under <see cref="DrainProgress"/>'s lock.</summary>
    public int Outstanding { get; set; }

    /// <summary>The row's dead letters not recorded yet: recorded in the transaction that forgets the row, or that marks its finished changes.</summary>
    public List<DeadLetter>? DeadLetters { get; set; }

    /// <summary>Indexes of the row's changes finished (accepted and handled, or rejected) but not yet marked in the store.</summary>
    public List<int>? Finished { get; set; }

    /// <summary>When the oldest of <see cref="Finished"/> finished (a <see cref="System.Diagnostics.Stopwatch"/> timestamp); 0 when none.</summary>
    public long FinishedSince { get; set; }

    /// <summary>
    /// Counts what the row holds until it is forgotten: its captured JSON, and for each of its
    /// <paramref name="count"/> changes from <paramref name="start"/> in <paramref name="changes"/>, the rendered
    /// message, the change's own objects, and its rows when handlers will read them (about as large again as their JSON).
    /// </summary>
    public void Measure(CapturedRow row, List<PendingChange> changes, int start, int count)
    {
        long bytes = row.Data.Length;
        for (var i = start; i < start + count; i++)
        {
            var change = changes[i];
            bytes += BytesPerChange + change.Message.DataByteCount + (change.Change.HasHandlers ? 2L * change.Captured.Length : 0);
        }

        Bytes = bytes;
    }
}
