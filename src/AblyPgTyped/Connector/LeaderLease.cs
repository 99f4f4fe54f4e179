using System;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AblyPgTyped;

/// <summary>
/// The standby's side of leadership: a lease it can verify and break. The active connector proves it is alive on its
/// leader session every second (Npgsql's keepalive, which moves <c>pg_stat_activity.state_change</c> of that backend
/// without writing anything). A standby that finds the lock holder's session silent for longer than
/// <see cref="ConnectorOptions.LeaseTimeout"/> ends that backend (<c>pg_terminate_backend</c>), which releases the lock,
/// and takes over. A backend busy on a statement is not silent; one waiting on its client is.
/// </summary>
internal sealed class LeaderLease(string captureSchema, TimeSpan timeout, ILogger logger)
{
    private readonly long _lockKey = CaptureSql.LeaderLockKey(captureSchema);
    private int _unverifiableReported;

    /// <summary>Ends the lock holder's backend if its session has been silent too long; true when it did.</summary>
    public async Task<bool> BreakIfSilentAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // The silence is judged and the backend ended in one statement, on the server's clock, so nothing moves between.
        await using var command = new NpgsqlCommand(
            """
            SELECT l.pid, a.usename::text, a.client_addr::text, a.state_change IS NOT NULL,
                   extract(epoch FROM clock_timestamp() - a.state_change)::float8,
                   CASE WHEN a.state_change IS NOT NULL AND clock_timestamp() - a.state_change > $3
                             AND (a.state IS DISTINCT FROM 'active' OR a.wait_event_type = 'Client')
                        THEN pg_catalog.pg_terminate_backend(l.pid) ELSE false END
            FROM pg_catalog.pg_locks l
            LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
              AND l.classid::bigint = $1 AND l.objid::bigint = $2
              AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (_lockKey >> 32) & 0xFFFFFFFFL });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _lockKey & 0xFFFFFFFFL });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = timeout });
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return false; // released meanwhile: the next attempt takes it
            }

            var pid = reader.GetInt32(0);
            if (!reader.GetBoolean(3))
            {
                ReportUnverifiable(pid, "its activity is not visible to this role");
                return false;
            }

            if (!reader.GetBoolean(5))
            {
                return false;
            }

            LogMessages.LeaseBroken(logger, pid, reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? "local" : reader.GetString(2),
                TimeSpan.FromSeconds(Math.Round(reader.GetDouble(4), 1)), timeout);
            return true;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            ReportUnverifiable(0, e.MessageText);
            return false;
        }
    }

    private void ReportUnverifiable(int pid, string reason)
    {
        if (Interlocked.Exchange(ref _unverifiableReported, 1) == 0)
        {
            LogMessages.LeaseUnverifiable(logger, pid, reason);
        }
    }
}
