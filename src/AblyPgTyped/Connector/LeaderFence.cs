using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using Npgsql;

namespace AblyPgTyped;

/// <summary>
/// Confirms, before every publish attempt, that this connector's session still holds the leader lock, so a leader
/// that lost its session (and whose place a standby may have taken) never publishes a stale change. The check runs
/// on a connection of its own, since the leader's is busy reading; concurrent callers share one check that began
/// after they asked.
/// </summary>
internal sealed class LeaderFence(NpgsqlDataSource sessions, int leaderProcessId, string captureSchema) : IAsyncDisposable
{
    /// <summary>How long a check may take before leadership counts as lost.</summary>
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly long _lockKey = CaptureSql.LeaderLockKey(captureSchema);
    private NpgsqlConnection? _connection;
    private long _lastConfirmedCheckStart = long.MinValue;

    /// <summary>Returns when leadership was confirmed by a check that started after this call.</summary>
    /// <exception cref="LeadershipLostException">The lock is no longer held, or the check could not tell in time.</exception>
    public async Task ConfirmAsync(CancellationToken cancellationToken)
    {
        var asked = Stopwatch.GetTimestamp();
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_lastConfirmedCheckStart >= asked)
            {
                return;
            }

            var started = Stopwatch.GetTimestamp();
            if (!await HoldsLockAsync(cancellationToken))
            {
                throw new LeadershipLostException("this connector's database session no longer holds the leader lock of capture schema " + captureSchema);
            }

            _lastConfirmedCheckStart = started;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        _gate.Dispose();
    }

    private async Task<bool> HoldsLockAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            _connection ??= await sessions.OpenConnectionAsync(timeout.Token);

            // A bigint advisory key shows in pg_locks as its high half (classid) and low half (objid), objsubid 1.
            await using var command = new NpgsqlCommand(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = $1 " +
                "AND classid::bigint = $2 AND objid::bigint = $3 AND objsubid = 1)", _connection);
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = leaderProcessId });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (_lockKey >> 32) & 0xFFFFFFFFL });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _lockKey & 0xFFFFFFFFL });
            return (bool)(await command.ExecuteScalarAsync(timeout.Token))!;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or System.IO.IOException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            if (_connection is not null)
            {
                await _connection.DisposeAsync();
                _connection = null;
            }

            throw new LeadershipLostException("leadership could not be confirmed: " + e.Message, e);
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
