using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using Microsoft.Extensions.Logging;

namespace AblyPgTyped.Draining;

/// <summary>
/// What the drain holds in memory and what may be forgotten: capture rows are held from their read until every
/// change in them was accepted (and its handlers ran) or dead-lettered; then they are handed back to be deleted with
/// their dead letters. Lanes finish changes from the publishing side; the reader takes completed rows. Thread-safe.
/// </summary>
internal sealed class DrainProgress(ILogger logger)
{
    private readonly object _sync = new();
    private readonly Channel<PendingChange> _handlers = Channel.CreateUnbounded<PendingChange>(new UnboundedChannelOptions { SingleReader = true });
    private List<HeldRow> _done = [];
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
            ConnectorLog.DeadLettered(logger, deadLetter.Position, deadLetter.Schema + "." + deadLetter.Table, deadLetter.Reason);
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

        Finish(held);
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
                Finish(change.Row);
            }
        }
    }

    /// <summary>The change's handlers ran (or failed and were logged).</summary>
    public void HandlersDone(PendingChange change) => Finish(change.Row);

    /// <summary>The change cannot be published: it is dead-lettered with the reason.</summary>
    public void Reject(PendingChange change, string channel, string reason)
    {
        var deadLetter = change.DeadLetter(channel, reason);
        ConnectorLog.DeadLettered(logger, deadLetter.Position, deadLetter.Schema + "." + deadLetter.Table, deadLetter.Reason);
        lock (_sync)
        {
            (change.Row.DeadLetters ??= []).Add(deadLetter);
        }

        Finish(change.Row);
    }

    /// <summary>Rows that may be forgotten now, with their dead letters; they are no longer held.</summary>
    public (List<long> RowIds, List<DeadLetter> DeadLetters) TakeCompleted()
    {
        List<HeldRow> done;
        lock (_sync)
        {
            if (_done.Count == 0)
            {
                return ([], []);
            }

            done = _done;
            _done = [];
        }

        var ids = new List<long>(done.Count);
        var deadLetters = new List<DeadLetter>();
        foreach (var row in done)
        {
            ids.Add(row.Id);
            if (row.DeadLetters is { } letters)
            {
                deadLetters.AddRange(letters);
            }
        }

        return (ids, deadLetters);
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

    private void Finish(HeldRow row)
    {
        TaskCompletionSource? signal = null;
        lock (_sync)
        {
            if (--row.Outstanding > 0)
            {
                return;
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
