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
    /// The oldest changes not handed out before, in position order, holding at most <paramref name="maxChanges"/>
    /// changes and <paramref name="maxBytes"/> bytes (but always at least one row when any exists).
    /// </summary>
    Task<IReadOnlyList<CapturedRow>> ReadAsync(int maxChanges, long maxBytes, CancellationToken cancellationToken);

    /// <summary>
    /// Atomically forgets rows (by <see cref="CapturedRow.Id"/>) whose every change was published or dead-lettered,
    /// marks the changes at <paramref name="finished"/>'s indexes of other rows as done (a later read skips them), and
    /// records the dead letters. Rows may complete in any order.
    /// </summary>
    Task CompleteAsync(IReadOnlyList<long> rowIds, IReadOnlyList<(long RowId, List<int> Indexes)> finished, IReadOnlyList<DeadLetter> deadLetters, CancellationToken cancellationToken);

    /// <summary>Waits until new changes may be available, or at most <paramref name="timeout"/>. Called when a read found nothing.</summary>
    Task WaitForChangesAsync(TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>
    /// The store ids below the highest read that a transaction still open may yet fill (inclusive ranges). None with a
    /// slot, which yields changes in commit order; the trigger store's ids are taken before commit. As of the last read.
    /// </summary>
    (long Low, long High)[] Unread => [];

    /// <summary>
    /// Shows the leader's session is alive while the drain has nothing else to ask of it (everything it may hold is in
    /// flight), so a standby watching the lease does not take over a healthy leader that waits on Ably.
    /// </summary>
    Task KeepAliveAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
