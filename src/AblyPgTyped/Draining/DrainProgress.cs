using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using AblyPgTyped.Observability;
using Microsoft.Extensions.Logging;

namespace AblyPgTyped.Draining;

/// <summary>
/// What the drain holds in memory and what may be forgotten: capture rows are held from their read until every
/// change in them was accepted (and its handlers ran) or dead-lettered; then they are handed back to be deleted with
/// their dead letters. A row whose other changes still wait (on a failing or slow channel) has its finished changes
/// handed back too, to be marked in the store, so a restart does not send them again. Lanes finish changes from the
/// publishing side; the reader takes what finished. Thread-safe.
/// </summary>
internal sealed class DrainProgress(ILogger logger, ConnectorTelemetry telemetry)
{
    private readonly object _sync = new();
    private readonly Channel<PendingChange> _handlers = Channel.CreateUnbounded<PendingChange>(new UnboundedChannelOptions { SingleReader = true });
    private List<HeldRow> _done = [];
    private readonly HashSet<HeldRow> _partial = [];
    private long _heldChanges;
    private long _heldBytes;
    private int _heldRows;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Changes of the rows held now.</summary>
    public long HeldChanges => Interlocked.Read(ref _heldChanges);

    /// <summary>Memory of the rows held now (their captured JSON and its rendering).</summary>
    public long HeldBytes => Interlocked.Read(ref _heldBytes);

    /// <summary>Rows held now, completed or not.</summary>
    public int HeldRows => Volatile.Read(ref _heldRows);

    /// <summary>Accepted changes whose handlers have yet to run, in acceptance order.</summary>
    public ChannelReader<PendingChange> HandlerQueue => _handlers.Reader;

    /// <summary>Starts holding a decoded row with <paramref name="publishing"/> changes on their way to Ably.</summary>
    public void Hold(HeldRow held, int publishing, List<DeadLetter> deadLetters)
    {
        foreach (var deadLetter in deadLetters)
        {
            LogMessages.DeadLettered(logger, deadLetter.Position, deadLetter.Schema + "." + deadLetter.Table, deadLetter.Reason);
            telemetry.DeadLettered(deadLetter);
        }

        lock (_sync)
        {
            held.Outstanding = publishing + 1; // the extra one is released below, once the row is fully counted
            if (deadLetters.Count > 0)
            {
                held.DeadLetters = [.. deadLetters];
            }

            _heldRows++;
            _heldChanges += held.Changes;
            _heldBytes += held.Bytes;
        }

        Finish(held, -1);
    }

    /// <summary>Ably accepted these changes: run their handlers, or finish them.</summary>
    public void Accepted(IReadOnlyList<PendingChange> changes, int start, int count)
    {
        for (var i = start; i < start + count; i++)
        {
            var change = changes[i];
            if (change.Change.HasHandlers)
            {
                _handlers.Writer.TryWrite(change);
            }
            else
            {
                Finish(change, null);
            }
        }
    }

    /// <summary>The change's handlers ran (or failed and were logged).</summary>
    public void HandlersDone(PendingChange change) => Finish(change, null);

    /// <summary>The change cannot be published: it is dead-lettered with the reason.</summary>
    public void Reject(PendingChange change, string channel, string reason)
    {
        var deadLetter = change.DeadLetter(channel, reason);
        LogMessages.DeadLettered(logger, deadLetter.Position, deadLetter.Schema + "." + deadLetter.Table, deadLetter.Reason);
        telemetry.DeadLettered(deadLetter);
        Finish(change, deadLetter);
    }

    /// <summary>
    /// Rows that may be forgotten now, with their dead letters (they are no longer held); and the finished changes of
    /// rows still held whose oldest one finished before <paramref name="partlyFinishedBefore"/>, to be marked in the
    /// store with those rows' dead letters so far (at most <paramref name="maxPartRows"/> rows).
    /// </summary>
    public (List<long> RowIds, List<(long RowId, List<int> Indexes)> Finished, List<DeadLetter> DeadLetters) TakeFinished(long partlyFinishedBefore, int maxPartRows)
    {
        List<HeldRow> done;
        var finished = new List<(long RowId, List<int> Indexes)>();
        var deadLetters = new List<DeadLetter>();
        lock (_sync)
        {
            done = _done;
            _done = [];
            if (_partial.Count > 0 && partlyFinishedBefore != long.MinValue)
            {
                List<HeldRow>? taken = null;
                foreach (var row in _partial)
                {
                    if (row.FinishedSince > partlyFinishedBefore || (taken?.Count ?? 0) >= maxPartRows)
                    {
                        continue;
                    }

                    // Its dead letters go in the same transaction, since their changes are marked too.
                    var indexes = row.Finished!;
                    if (row.DeadLetters is { } letters)
                    {
                        foreach (var letter in letters)
                        {
                            indexes.Add(letter.Position.Index);
                        }

                        deadLetters.AddRange(letters);
                        row.DeadLetters = null;
                    }

                    finished.Add((row.Id, indexes));
                    row.Finished = null;
                    row.FinishedSince = 0;
                    (taken ??= []).Add(row);
                }

                if (taken is not null)
                {
                    _partial.ExceptWith(taken);
                }
            }
        }

        var ids = new List<long>(done.Count);
        foreach (var row in done)
        {
            ids.Add(row.Id);
            if (row.DeadLetters is { } letters)
            {
                deadLetters.AddRange(letters);
            }
        }

        return (ids, finished, deadLetters);
    }

    /// <summary>Whether held rows have finished changes not yet marked in the store.</summary>
    public bool HasPartlyFinished
    {
        get
        {
            lock (_sync)
            {
                return _partial.Count > 0;
            }
        }
    }

    /// <summary>Whether rows wait to be forgotten.</summary>
    public bool HasCompleted
    {
        get
        {
            lock (_sync)
            {
                return _done.Count > 0;
            }
        }
    }

    /// <summary>Waits until a row completes, or at most <paramref name="timeout"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task changed;
        lock (_sync)
        {
            if (_done.Count > 0)
            {
                return;
            }

            changed = _changed.Task;
        }

        await Task.WhenAny(changed, Task.Delay(timeout, cancellationToken));
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>No more handlers will be queued.</summary>
    public void Close() => _handlers.Writer.TryComplete();

    /// <summary>
    /// One message of a change is done with. A change in two parts is finished with its last part: until then its index
    /// is not marked in the store, and a dead letter of the first part (which would mark it) waits.
    /// </summary>
    private void Finish(PendingChange change, DeadLetter? deadLetter)
    {
        var index = change.Change.Position.Index;
        lock (_sync)
        {
            if (change.Parts is { } parts)
            {
                if (deadLetter is not null)
                {
                    (parts.DeadLetters ??= []).Add(deadLetter);
                }

                if (--parts.Remaining > 0)
                {
                    index = -1;
                }
                else if (parts.DeadLetters is { } letters)
                {
                    (change.Row.DeadLetters ??= []).AddRange(letters);
                }
            }
            else if (deadLetter is not null)
            {
                (change.Row.DeadLetters ??= []).Add(deadLetter);
            }
        }

        Finish(change.Row, index);
    }

    /// <summary>One of the row's changes (at <paramref name="index"/>; -1: none, the row's own count) is done with.</summary>
    private void Finish(HeldRow row, int index)
    {
        TaskCompletionSource? signal = null;
        lock (_sync)
        {
            if (--row.Outstanding > 0)
            {
                if (index >= 0)
                {
                    (row.Finished ??= []).Add(index);
                    if (row.FinishedSince == 0)
                    {
                        row.FinishedSince = Stopwatch.GetTimestamp();
                        _partial.Add(row);
                    }
                }

                return;
            }

            if (row.FinishedSince != 0)
            {
                _partial.Remove(row);
                row.Finished = null;
            }

            _done.Add(row);
            _heldRows--;
            _heldBytes -= row.Bytes;
            _heldChanges -= row.Changes;
            signal = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        signal.TrySetResult();
    }
}
