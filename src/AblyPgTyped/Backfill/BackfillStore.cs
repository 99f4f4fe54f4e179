using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using AblyPgTyped.Mapping;
using AblyPgTyped.Publishing;
using Npgsql;

namespace AblyPgTyped.Backfilling;

/// <summary>
/// The durable record of backfills, the capture schema's <c>backfills</c> table: requesting one (which checks the table,
/// its primary key, the filter and the range first), and reading where each stands.
/// </summary>
internal static class BackfillStore
{
    private const string StatusColumns =
        "id, table_schema, table_name, state, rows_done, rows_estimate, cursor_key, last_change, error, created_at, updated_at, finished_at";

    /// <summary>Records a backfill of <paramref name="mapping"/>'s table; the active connector then runs it.</summary>
    /// <exception cref="AblyConfigurationException">The table has no primary key, or the filter, range or channel is not valid.</exception>
    public static async Task<BackfillStatus> RequestAsync(
        NpgsqlConnection connection, string captureSchema, ChangeMapping mapping, BackfillOptions options, CancellationToken cancellationToken)
    {
        if (options.ChunkRows is < 1 or > CaptureSql.ChunkSize)
        {
            throw new AblyConfigurationException($"BackfillOptions.ChunkRows must be between 1 and {CaptureSql.ChunkSize}.");
        }

        if (options.Channel is { } named && ChannelNameRules.Problem(named) is { } problem)
        {
            throw new AblyConfigurationException($"BackfillOptions.Channel '{named}' is not a valid channel: {problem}");
        }

        if (options.Channel is null && mapping.ChannelTemplate(ChangeKind.Snapshot) is null)
        {
            throw new AblyConfigurationException(
                $"{mapping.DisplayName} publishes no inserts, so its rows have no channel to go to: name one with BackfillOptions.Channel.");
        }

        var table = CaptureSql.QualifiedName(mapping.Schema, mapping.TableName);
        var keys = await PrimaryKeyAsync(connection, table, cancellationToken);
        if (keys.Count == 0)
        {
            throw new AblyConfigurationException(
                $"{table} has no primary key: a backfill reads a table in primary-key order, chunk by chunk. Add a primary key to backfill it.");
        }

        // Checked with the requesting role, usually the connector's own; the active connector checks its role again.
        if (await BackfillPrivileges.ProblemAsync(connection, captureSchema, mapping.Schema, mapping.TableName, cancellationToken) is { } denied)
        {
            throw new AblyConfigurationException("Backfill refused: " + denied + ".");
        }

        var from = await KeyTextAsync(connection, keys, options.From, nameof(options.From), cancellationToken);
        var to = await KeyTextAsync(connection, keys, options.To, nameof(options.To), cancellationToken);
        // The planner's estimate of the rows to publish, which also checks the filter now, so that a mistake is reported
        // to the caller rather than to the log of the active connector. The parameter keeps it one statement.
        long estimate;
        await using (var explain = new NpgsqlCommand(
            $"EXPLAIN (FORMAT JSON) SELECT 1 FROM {table} t WHERE $1" + (options.Where is { } where ? $" AND ({where}\n)" : ""), connection))
        {
            explain.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = true });
            try
            {
                using var plan = System.Text.Json.JsonDocument.Parse((string)(await explain.ExecuteScalarAsync(cancellationToken))!);
                estimate = (long)plan.RootElement[0].GetProperty("Plan").GetProperty("Plan Rows").GetDouble();
            }
            catch (PostgresException e) when (options.Where is not null && e.SqlState is not (PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown))
            {
                throw new AblyConfigurationException($"BackfillOptions.Where is not a valid condition on {table}: {e.MessageText}");
            }
        }

        await using var insert = new NpgsqlCommand(
            $"INSERT INTO {CaptureSql.QualifiedName(captureSchema, CaptureSql.BackfillsTable)} " +
            "(table_schema, table_name, key_columns, where_sql, channel, from_key, to_key, chunk_rows, rows_estimate) " +
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING " + StatusColumns, connection);
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = mapping.Schema });
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = mapping.TableName });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = keys.Select(k => k.Name).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)options.Where ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)options.Channel ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)from ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)to ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = options.ChunkRows });
        insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = estimate });
        await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return ReadStatus(reader);
    }

    /// <summary>Every backfill recorded, newest first (at most <paramref name="limit"/>).</summary>
    public static async Task<IReadOnlyList<BackfillStatus>> ListAsync(NpgsqlConnection connection, string captureSchema, long? id, int limit, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT {StatusColumns} FROM {CaptureSql.QualifiedName(captureSchema, CaptureSql.BackfillsTable)} " +
            "WHERE $1::bigint IS NULL OR id = $1 ORDER BY id DESC LIMIT $2", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)id ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var list = new List<BackfillStatus>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(ReadStatus(reader));
        }

        return list;
    }

    /// <summary>
    /// Marks backfill <paramref name="id"/> cancelled if it is still running; returns its status either way (null when there
    /// is no such backfill). The runner reads the state under the same row lock before every chunk, so no chunk is recorded
    /// after this commits; chunks recorded before it are published as usual.
    /// </summary>
    public static async Task<BackfillStatus?> CancelAsync(NpgsqlConnection connection, string captureSchema, long id, CancellationToken cancellationToken)
    {
        var backfills = CaptureSql.QualifiedName(captureSchema, CaptureSql.BackfillsTable);
        await using (var command = new NpgsqlCommand(
            $"UPDATE {backfills} SET state = 'cancelled', finished_at = clock_timestamp(), updated_at = clock_timestamp() WHERE id = $1 AND state = 'running'", connection))
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return (await ListAsync(connection, captureSchema, id, 1, cancellationToken)) is [var status] ? status : null;
    }

    /// <summary>
    /// Whether a snapshot of backfill <paramref name="id"/> may not be published yet: with triggers, the store still holds
    /// a snapshot row up to its last chunk; with logical replication, the slot has not confirmed the WAL position its last
    /// transaction recorded (a slot that is gone will publish nothing more).
    /// </summary>
    public static async Task<bool> PendingAsync(NpgsqlConnection connection, string captureSchema, long id, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT EXISTS (SELECT 1 FROM {CaptureSql.QualifiedName(captureSchema, CaptureSql.ChangesTable)} c WHERE c.id <= b.last_change AND c.op = 'S') " +
            "OR coalesce((SELECT s.confirmed_flush_lsn < b.last_lsn FROM pg_catalog.pg_replication_slots s WHERE s.slot_name = $2), false) " +
            $"FROM {CaptureSql.QualifiedName(captureSchema, CaptureSql.BackfillsTable)} b WHERE b.id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Capture.Logical.PublicationSql.SlotName(captureSchema, connection.Database) });
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    /// <summary>The primary key's columns, in key order, with their types as SQL.</summary>
    public static async Task<IReadOnlyList<(string Name, string Type)>> PrimaryKeyAsync(NpgsqlConnection connection, string table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_index i " +
            "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, ord) " +
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum " +
            "WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY k.ord", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table });
        var keys = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add((reader.GetString(0), reader.GetString(1)));
        }

        return keys;
    }

    /// <summary>A key given by the caller, as PostgreSQL renders each value in its column's type (sent as parameters).</summary>
    private static async Task<string[]?> KeyTextAsync(
        NpgsqlConnection connection, IReadOnlyList<(string Name, string Type)> keys, IReadOnlyList<object>? values, string option, CancellationToken cancellationToken)
    {
        if (values is null)
        {
            return null;
        }

        if (values.Count != keys.Count)
        {
            throw new AblyConfigurationException(
                $"BackfillOptions.{option} has {values.Count} value(s), but the primary key has {keys.Count} column(s): {string.Join(", ", keys.Select(k => k.Name))}.");
        }

        var sql = new StringBuilder("SELECT ARRAY[");
        for (var i = 0; i < keys.Count; i++)
        {
            sql.Append(i == 0 ? "" : ", ").Append("($").Append(i + 1).Append(")::").Append(keys[i].Type).Append("::text");
        }

        await using var command = new NpgsqlCommand(sql.Append(']').ToString(), connection);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        try
        {
            return (string[])(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        catch (PostgresException e)
        {
            throw new AblyConfigurationException($"BackfillOptions.{option} does not fit the primary key ({string.Join(", ", keys.Select(k => k.Name + " " + k.Type))}): {e.MessageText}");
        }
        catch (InvalidCastException e)
        {
            throw new AblyConfigurationException($"BackfillOptions.{option} holds a value that cannot be sent to PostgreSQL: {e.Message}");
        }
    }

    private static BackfillStatus ReadStatus(NpgsqlDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetInt64(4),
        reader.GetInt64(5),
        reader.IsDBNull(6) ? null : reader.GetFieldValue<string[]>(6),
        reader.IsDBNull(7) ? null : reader.GetInt64(7),
        reader.IsDBNull(8) ? null : reader.GetString(8),
        reader.GetFieldValue<DateTimeOffset>(9),
        reader.GetFieldValue<DateTimeOffset>(10),
        reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11));
}
