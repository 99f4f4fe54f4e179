using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using Npgsql;

namespace AblyPgTyped;

/// <summary>
/// The active connector's own database session, holding a session advisory lock. Every read and delete of the
/// capture store runs on it, so a connector that loses its session also stops draining; a standby takes the
/// lock as soon as the session ends (including when the process is killed).
/// </summary>
/// <remarks>
/// A session whose network goes silent would keep the lock until the server noticed, about two hours by default. So
/// the leader's session sets server-side TCP keepalives and a TCP user timeout sized to the lease, and proves it is
/// alive every second (<see cref="HeartbeatSeconds"/>) for standbys to verify (<see cref="LeaderLease"/>).
/// </remarks>
internal sealed class LeaderSession : IAsyncDisposable
{
    /// <summary>How often the leader's session shows it is alive (Npgsql's keepalive on an idle connection).</summary>
    public const int HeartbeatSeconds = 1;

    private LeaderSession(NpgsqlConnection connection) => Connection = connection;

    public NpgsqlConnection Connection { get; }

    /// <summary>When the lock was taken (<see cref="Stopwatch.GetTimestamp"/>): a predecessor had lost it by then.</summary>
    public long LockedAt { get; } = Stopwatch.GetTimestamp();

    /// <summary>
    /// Connection settings for leader sessions: the heartbeat, and client-side TCP keepalives sized to the lease.
    /// </summary>
    public static void Configure(NpgsqlConnectionStringBuilder builder, TimeSpan leaseTimeout)
    {
        var (idle, interval, _) = Keepalives(leaseTimeout);
        builder.KeepAlive = HeartbeatSeconds;
        builder.TcpKeepAlive = true;
        builder.TcpKeepAliveTime = idle;
        builder.TcpKeepAliveInterval = interval;
    }

    /// <summary>
    /// Takes leadership if nobody holds it; null otherwise. With a <paramref name="lease"/>, a holder whose session has
    /// gone silent is ended first, and leadership taken once its lock is released.
    /// </summary>
    public static async Task<LeaderSession?> TryAcquireAsync(
        NpgsqlDataSource unpooled, string captureSchema, TimeSpan leaseTimeout, LeaderLease? lease, CancellationToken cancellationToken)
    {
        var connection = await unpooled.OpenConnectionAsync(cancellationToken);
        try
        {
            if (await TryLockAsync(connection, captureSchema, cancellationToken)
                || (lease is not null && await lease.BreakIfSilentAsync(connection, cancellationToken) && await AwaitReleaseAsync(connection, captureSchema, cancellationToken)))
            {
                await SetServerKeepalivesAsync(connection, leaseTimeout, cancellationToken);
                return new LeaderSession(connection);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        await connection.DisposeAsync();
        return null;
    }

    /// <summary>
    /// Closing an unpooled connection ends the session, which releases the lock. A connection from a pooled data source
    /// (one the application gave) outlives its closing, so the lock is released first.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Connection.State == System.Data.ConnectionState.Open && new NpgsqlConnectionStringBuilder(Connection.ConnectionString).Pooling)
        {
            try
            {
                await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock_all()", Connection);
                await command.ExecuteNonQueryAsync();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                // A broken connection is not returned to the pool: its session, and the lock, end with it.
            }
        }

        await Connection.DisposeAsync();
    }

    /// <summary>Keepalive idle time and interval (seconds), and the TCP user timeout (milliseconds), for a lease.</summary>
    private static (int Idle, int Interval, int UserTimeout) Keepalives(TimeSpan leaseTimeout)
    {
        var seconds = Math.Max(3, (int)leaseTimeout.TotalSeconds);
        return (Math.Max(1, seconds / 3), Math.Max(1, seconds / 6), (int)Math.Min(int.MaxValue, leaseTimeout.TotalMilliseconds));
    }

    private static async Task<bool> TryLockAsync(NpgsqlConnection connection, string captureSchema, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT pg_try_advisory_lock({CaptureSql.LeaderLockKey(captureSchema)})", connection);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>An ended backend releases its lock as it exits, moments later.</summary>
    private static async Task<bool> AwaitReleaseAsync(NpgsqlConnection connection, string captureSchema, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            await Task.Delay(100, cancellationToken);
            if (await TryLockAsync(connection, captureSchema, cancellationToken))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>So that the server, too, gives up on a silent client within about the lease, and releases the lock.</summary>
    private static async Task SetServerKeepalivesAsync(NpgsqlConnection connection, TimeSpan leaseTimeout, CancellationToken cancellationToken)
    {
        var (idle, interval, userTimeout) = Keepalives(leaseTimeout);
        await using var command = new NpgsqlCommand(
            string.Create(CultureInfo.InvariantCulture,
                $"SET tcp_keepalives_idle = {idle}; SET tcp_keepalives_interval = {interval}; SET tcp_keepalives_count = 3; SET tcp_user_timeout = {userTimeout}"),
            connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
