using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using AblyPgTyped.Draining;
using Npgsql;

namespace AblyPgTyped;

/// <summary>
/// Confirms, before every publish attempt, that this connector's session still holds the leader lock, so a leader
/// that lost its session (and whose place a standby may have taken) never publishes a stale change. The check runs
/// on a connection of its own, since the leader's is busy reading. With bundling, the same statement records the cuts
/// of the chunks about to be sent (<see cref="CutJournal"/>), and only while the lock is held.
/// </summary>
/// <remarks>
/// A check vouches for the attempts that follow it for <see cref="Lease"/>, counted from when it began: reading the
/// lock table costs the server about 0.3 ms, which once per request was most of what a draining connector cost it.
/// In exchange a new leader publishes nothing until <see cref="TakeoverWait"/> after it took the lock, longer than any
/// lease its predecessor can still be inside, with room for a request that left a little after its check.
/// </remarks>
internal sealed class LeaderFence(NpgsqlDataSource sessions, int leaderProcessId, long lockedAt, string captureSchema, CutJournal? journal = null) : IAsyncDisposable
{
    /// <summary>How long a check may take before leadership counts as lost.</summary>
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long after it began a check that found the lock held vouches for publish attempts.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a new leader waits, from when it took the lock, before its first publish attempt.</summary>
    public static readonly TimeSpan TakeoverWait = TimeSpan.FromMilliseconds(300);

    private static readonly long LeaseTicks = (long)(Lease.TotalSeconds * Stopwatch.Frequency);

    // A bigint advisory key shows in pg_locks as its high half (classid) and low half (objid), objsubid 1.
    private const string HeldSql =
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = $1 " +
        "AND classid::bigint = $2 AND objid::bigint = $3 AND objsubid = 1)";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly long _lockKey = CaptureSql.LeaderLockKey(captureSchema);
    private NpgsqlConnection? _connection;
    private NpgsqlCommand? _check;
    private NpgsqlCommand? _checkAndRecord;
    private long _lastConfirmedCheckStart = long.MinValue;
    private long _recordedThrough;

    /// <summary>How many times the lock has been checked: with the lease, far fewer than publish attempts under a steady stream.</summary>
    public long Checks { get; private set; }

    /// <summary>Where the cuts of chunks are recorded; null when nothing is bundled (a single change's id needs no cut).</summary>
    public CutJournal? Journal => journal;

    /// <summary>Opens the fence's session and reads the cuts earlier leaders recorded, before anything is sent.</summary>
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        var connection = await ConnectionAsync(cancellationToken);
        if (journal is not null)
        {
            await journal.LoadAsync(connection, cancellationToken);
        }
    }

    /// <summary>
    /// Returns when leadership was confirmed by a check that began less than <see cref="Lease"/> ago, and the cuts
    /// queued in the journal up to <paramref name="recordedThrough"/> (<see cref="CutJournal.Add"/>) are recorded;
    /// never before <see cref="TakeoverWait"/> has passed since the lock was taken (<c>lockedAt</c>, a
    /// <see cref="Stopwatch"/> timestamp).
    /// </summary>
    /// <exception cref="LeadershipLostException">The lock is no longer held, or the check could not tell in time.</exception>
    public async Task ConfirmAsync(long recordedThrough, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.GetElapsedTime(lockedAt);
        if (waited < TakeoverWait)
        {
            await Task.Delay(TakeoverWait - waited, cancellationToken);
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_lastConfirmedCheckStart > Stopwatch.GetTimestamp() - LeaseTicks && _recordedThrough >= recordedThrough)
            {
                return;
            }

            // A check vouches for the request that follows only while a successor would still be waiting: it took the
            // lock after the check began, and waits TakeoverWait. A check slower than that is asked once more.
            for (var attempt = 1; ; attempt++)
            {
                var started = Stopwatch.GetTimestamp();
                if (!await HoldsLockAsync(cancellationToken))
                {
                    throw new LeadershipLostException("this connector's database session no longer holds the leader lock of capture schema " + captureSchema);
                }

                var took = Stopwatch.GetElapsedTime(started);
                if (took < TakeoverWait - Lease)
                {
                    _lastConfirmedCheckStart = started;
                    return;
                }

                if (attempt == 2)
                {
                    throw new LeadershipLostException($"the leader lock check of capture schema {captureSchema} took {took.TotalMilliseconds:0} ms, too long to vouch for a request");
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc cref="ConfirmAsync(long, CancellationToken)"/>
    public Task ConfirmAsync(CancellationToken cancellationToken) => ConfirmAsync(0, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        _gate.Dispose();
    }

    private async Task<NpgsqlConnection> ConnectionAsync(CancellationToken cancellationToken)
    {
        if (_connection is not null)
        {
            return _connection;
        }

        var connection = await sessions.OpenConnectionAsync(cancellationToken);
        try
        {
            // The cuts must outlive this process, not a crash of the server: waiting for each flush would delay every
            // bundled request, and a lost cut costs at worst a change seen twice.
            await using (var settings = new NpgsqlCommand("SET synchronous_commit = off", connection))
            {
                await settings.ExecuteNonQueryAsync(cancellationToken);
            }

            _check = await PreparedAsync(connection, HeldSql, cancellationToken);
            if (journal is not null)
            {
                _checkAndRecord = await PreparedAsync(
                    connection,
                    $"WITH held AS ({HeldSql} AS held), recorded AS (INSERT INTO {journal.Table} (upto, cuts) SELECT $4, $5 WHERE (SELECT held FROM held)) SELECT held FROM held",
                    cancellationToken,
                    new NpgsqlParameter<long>(),
                    new NpgsqlParameter<string>());
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        return _connection = connection;
    }

    /// <summary>Prepared once per session: the check runs before every request, and planning it cost more than running it.</summary>
    private async Task<NpgsqlCommand> PreparedAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params NpgsqlParameter[] more)
    {
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = leaderProcessId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (_lockKey >> 32) & 0xFFFFFFFFL });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _lockKey & 0xFFFFFFFFL });
        command.Parameters.AddRange(more);
        await command.PrepareAsync(cancellationToken);
        return command;
    }

    private async Task<bool> HoldsLockAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            await ConnectionAsync(timeout.Token);
            Checks++;
            var (cuts, through) = journal?.TakePending() ?? ([], 0);
            bool held;
            if (cuts.Count == 0)
            {
                held = (bool)(await _check!.ExecuteScalarAsync(timeout.Token))!;
            }
            else
            {
                var (text, upTo) = CutJournal.Encode(cuts);
                ((NpgsqlParameter<long>)_checkAndRecord!.Parameters[3]).TypedValue = upTo;
                ((NpgsqlParameter<string>)_checkAndRecord.Parameters[4]).TypedValue = text;
                held = (bool)(await _checkAndRecord.ExecuteScalarAsync(timeout.Token))!;
                foreach (var cut in cuts)
                {
                    cut.Recorded = held;
                }
            }

            _recordedThrough = Math.Max(_recordedThrough, through);
            if (held && journal is not null && journal.ForgetDue())
            {
                await using var forget = new NpgsqlCommand(journal.ForgetSql, _connection);
                await forget.ExecuteNonQueryAsync(timeout.Token);
            }

            return held;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or System.IO.IOException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            await CloseAsync();
            throw new LeadershipLostException("leadership could not be confirmed: " + e.Message, e);
        }
    }

    private async Task CloseAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
            _connection = null;
            _check = null;
            _checkAndRecord = null;
        }
    }
}

/// <summary>This connector may no longer publish: another may have taken over. It stops and stands by.</summary>
internal sealed class LeadershipLostException : Exception
{
    public LeadershipLostException(string message)
        : base(message)
    {
    }

    public LeadershipLostException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
