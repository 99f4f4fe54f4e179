using System;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using Npgsql;

namespace AblyPgTyped.Cli.Status;

/// <summary>The session that leads a capture schema now, if any: who holds its leader lock (see <c>LeaderSession</c>).</summary>
/// <param name="Active">Whether a connector holds the lock.</param>
/// <param name="Pid">Its backend's process id.</param>
/// <param name="User">Its role.</param>
/// <param name="ClientAddress">Where it connects from (null for a Unix socket, or when this role may not see it).</param>
/// <param name="ClientHostname">The client's host name, when the server resolves it (<c>log_hostname</c>).</param>
/// <param name="ApplicationName">Its <c>application_name</c>: <c>AblyPgTyped connector</c> unless the application set another.</param>
/// <param name="Since">When its session started: leadership is taken as the session opens.</param>
/// <param name="State">Its <c>pg_stat_activity.state</c>.</param>
/// <param name="SilentSeconds">How long since it last showed it is alive; a standby takes over once this passes the lease timeout.</param>
internal sealed record LeaderStatus(
    bool Active, int? Pid, string? User, string? ClientAddress, string? ClientHostname, string? ApplicationName,
    DateTimeOffset? Since, string? State, double? SilentSeconds)
{
    public static LeaderStatus None { get; } = new(false, null, null, null, null, null, null, null, null);

    /// <summary>Whether this role may see the leader's session (it needs <c>pg_read_all_stats</c> for another role's).</summary>
    public bool Visible => Since is not null;
}

/// <summary>Finds the holder of a capture schema's leader lock, as a standby's lease check does.</summary>
internal static class LeaderProbe
{
    public static async Task<LeaderStatus> FindAsync(NpgsqlConnection connection, string captureSchema, CancellationToken cancellationToken = default)
    {
        var key = CaptureSql.LeaderLockKey(captureSchema);
        await using var command = new NpgsqlCommand(
            """
            SELECT l.pid, a.usename::text, host(a.client_addr), a.client_hostname, a.application_name, a.backend_start, a.state,
                   extract(epoch FROM clock_timestamp() - a.state_change)::float8
            FROM pg_catalog.pg_locks l
            LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
              AND l.classid::bigint = $1 AND l.objid::bigint = $2
              AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (key >> 32) & 0xFFFFFFFFL });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = key & 0xFFFFFFFFL });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return LeaderStatus.None;
        }

        return new LeaderStatus(
            true,
            reader.GetInt32(0),
            reader.IsDBNull(1) ? null : reader.GetString(1),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
            reader.IsDBNull(6) ? null : reader.GetString(6),
            reader.IsDBNull(7) ? null : Math.Round(reader.GetDouble(7), 1));
    }
}
