using System;
using System.Collections.Generic;

namespace AblyPgTyped.Capture.Logical;

/// <summary>
/// Which position the replication slot may be told is done with. A transaction is done when every capture row of it
/// was completed (published or dead-lettered); the slot is confirmed up to the end of the last transaction that is
/// done with all before it — the commit record's end LSN, never the server's WAL end, so a crash re-sends exactly the
/// transactions not yet done. When nothing is pending, the position a keepalive reported may be confirmed, which keeps a
/// quiet slot from holding WAL. Thread-safe.
/// </summary>
internal sealed class SlotPosition(ulong confirmed)
{
    private readonly object _sync = new();
    private readonly Queue<Transaction> _transactions = new();
    private readonly Dictionary<long, Transaction> _rows = [];
    private Transaction? _open;
    private ulong _confirmed = confirmed;

    /// <summary>The position confirmed so far.</summary>
    public ulong Confirmed
    {
        get
        {
            lock (_sync)
            {
                return _confirmed;
            }
        }
    }

    /// <summary>When the oldest transaction not yet done committed; null when none is pending.</summary>
    public DateTime? OldestPendingCommit
    {
        get
        {
            lock (_sync)
            {
                return _transactions.Count > 0 ? _transactions.Peek().CommitTime : null;
            }
        }
    }

    /// <summary>A transaction's Begin arrived: its changes follow, then its Commit.</summary>
    public void Begin(DateTime commitTime)
    {
        lock (_sync)
        {
            _open = new Transaction(commitTime);
            _transactions.Enqueue(_open);
        }
    }

    /// <summary>A capture row of the open transaction was handed on.</summary>
    public void Add(long rowId)
    {
        lock (_sync)
        {
            var open = _open ?? throw new InvalidOperationException("A change arrived outside a transaction.");
            open.Outstanding++;
            _rows[rowId] = open;
        }
    }

    /// <summary>The open transaction's Commit arrived; returns the new confirmed position if that advanced it.</summary>
    public ulong? Commit(ulong endLsn)
    {
        lock (_sync)
        {
            var open = _open ?? throw new InvalidOperationException("A commit arrived outside a transaction.");
            open.EndLsn = endLsn;
            _open = null;
            return Advance();
        }
    }

    /// <summary>These rows were published or dead-lettered; returns the new confirmed position if that advanced it.</summary>
    public ulong? Complete(IReadOnlyList<long> rowIds)
    {
        lock (_sync)
        {
            foreach (var id in rowIds)
            {
                if (_rows.Remove(id, out var transaction))
                {
                    transaction.Outstanding--;
                }
            }

            return Advance();
        }
    }

    /// <summary>
    /// With nothing received and not done, everything up to <paramref name="received"/> (the stream's last position, read
    /// before this call) is done: the position a keepalive reported may be confirmed.
    /// </summary>
    public ulong? ConfirmIdle(ulong received)
    {
        lock (_sync)
        {
            if (_transactions.Count > 0 || received <= _confirmed)
            {
                return null;
            }

            _confirmed = received;
            return received;
        }
    }

    private ulong? Advance()
    {
        ulong? advanced = null;
        while (_transactions.Count > 0 && _transactions.Peek() is { EndLsn: not 0, Outstanding: 0 } done)
        {
            _transactions.Dequeue();
            if (done.EndLsn > _confirmed)
            {
                _confirmed = done.EndLsn;
                advanced = done.EndLsn;
            }
        }

        return advanced;
    }

    private sealed class Transaction(DateTime commitTime)
    {
        public DateTime CommitTime { get; } = commitTime;

        /// <summary>The commit record's end; 0 until the Commit arrives.</summary>
        public ulong EndLsn { get; set; }

        public int Outstanding { get; set; }
    }
}
