using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped.Capture;

/// <summary>
/// Where captured changes come from. Publishing sees only this seam, so another source (a logical-replication
/// pgoutput stream, say) can be added without touching it.
/// </summary>
internal interface ICaptureSource
{
    /// <summary>
    /// The oldest unpublished changes, in position order, holding at most <paramref name="maxChanges"/> changes
    /// (but always at least one row when any exists).
    /// </summary>
    Task<IReadOnlyList<CapturedRow>> ReadAsync(int maxChanges, CancellationToken cancellationToken);

    /// <summary>Atomically forgets rows whose every change was published or dead-lettered, and records the dead letters.</summary>
    Task CompleteAsync(IReadOnlyList<CapturedRow> rows, IReadOnlyList<DeadLetter> deadLetters, CancellationToken cancellationToken);

    /// <summary>Waits until new changes may be available, or at most <paramref name="timeout"/>. Called when a read found nothing.</summary>
    Task WaitForChangesAsync(TimeSpan timeout, CancellationToken cancellationToken);
}
