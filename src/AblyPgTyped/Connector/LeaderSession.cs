using System;
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
internal sealed class LeaderSession : IAsyncDisposable
{
    private LeaderSession(NpgsqlConnection connection) => Connection = connection;

    public NpgsqlConnection Connection { get; }

    /// <summary>Takes leadership if nobody holds it; null otherwise.</summary>
    public static async Task<LeaderSession?> TryAcquireAsync(NpgsqlDataSource unpooled, string captureSchema, CancellationToken cancellationToken)
    {
        var connection = await unpooled.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand($"SELECT pg_try_advisory_lock({CaptureSql.LeaderLockKey(captureSchema)})", connection);
            if ((bool)(await command.ExecuteScalarAsync(cancellationToken))!)
            {
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

    /// <summary>Closing the (unpooled) connection ends the session, which releases the lock.</summary>
    public ValueTask DisposeAsync() => Connection.DisposeAsync();
}
