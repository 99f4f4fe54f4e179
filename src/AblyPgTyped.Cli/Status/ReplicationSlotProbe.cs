using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Capture.Logical;
using Npgsql;

namespace AblyPgTyped.Cli.Status;

/// <summary>
/// The replication slot of a capture schema in logical-replication mode. In that mode the changes waiting are the WAL the
/// slot has not confirmed, not rows of the store.
/// </summary>
/// <param name="Name">The slot's name.</param>
/// <param name="Active">Whether a connector streams from it now.</param>
/// <param name="ActivePid">The backend that streams from it (the connector's replication connection).</param>
/// <param name="WalStatus"><c>reserved</c>, <c>extended</c>, <c>unreserved</c> or <c>lost</c> (<c>pg_replication_slots.wal_status</c>).</param>
/// <param name="UnconfirmedBytes">WAL written since the position the connector last confirmed: the backlog, in bytes.</param>
/// <param name="SafeWalSizeBytes">WAL that can still be written before the slot is in danger of losing what it needs (null: no limit).</param>
internal sealed record ReplicationSlotStatus(string Name, bool Active, int? ActivePid, string? WalStatus, long? UnconfirmedBytes, long? SafeWalSizeBytes);

/// <summary>Finds a capture schema's replication slot, whose name logical-replication capture derives from the schema and the database.</summary>
internal static class ReplicationSlotProbe
{
    /// <summary>The slot, or null when there is none: the schema uses trigger capture.</summary>
    public static async Task<ReplicationSlotStatus?> FindAsync(NpgsqlConnection connection, string captureSchema, CancellationToken cancellationToken = default)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT s.slot_name::text, s.active, s.active_pid, s.wal_status,
                   pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), s.confirmed_flush_lsn)::bigint, s.safe_wal_size
            FROM pg_catalog.pg_replication_slots s WHERE s.slot_name = $1
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = PublicationSql.SlotName(captureSchema, connection.Database) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new ReplicationSlotStatus(
            reader.GetString(0), reader.GetBoolean(1), reader.IsDBNull(2) ? null : reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetInt64(4), reader.IsDBNull(5) ? null : reader.GetInt64(5));
    }
}
