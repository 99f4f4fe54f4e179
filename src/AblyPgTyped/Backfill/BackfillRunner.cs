using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AblyPgTyped.Backfilling;

/// <summary>
/// Runs the recorded backfills on the active connector, one chunk per short transaction: it reads the next
/// <c>chunk_rows</c> rows after the durable cursor in primary-key order <c>FOR SHARE</c>, records them as one snapshot
/// row of the capture store (op <c>'S'</c>, rendered as the triggers render rows), and moves the cursor, all in that
/// transaction. The snapshots then flow through the same drain, lanes, ordering, pacing, ids and dead letters as live
/// changes.
/// </summary>
/// <remarks>
/// <para>
/// Why the live change always wins: the row locks order each chunk against every writer of its rows. A write that
/// committed before the chunk read the row is in the value read, and its capture row was inserted earlier, so it has a
/// lower store id. A write that comes later waits for the chunk's transaction, so its trigger runs after the snapshot
/// was recorded and gets a higher store id. A write in progress makes the chunk wait (at most <see cref="LockTimeout"/>,
/// then the chunk is tried again), and the chunk reads what it committed. Store ids are positions, and each channel
/// publishes in position order, so no subscriber sees a snapshot after a newer change of the same row.
/// </para>
/// <para>
/// With logical replication the argument is the same, with the write-ahead log for the store. The chunk's snapshot row is
/// inserted into the store, which is published for inserts (and only for them), and deleted again in the same
/// transaction, so the store never holds it: the insert reaches the replication stream at the chunk's commit, and the
/// stream delivers transactions in commit order, which the row locks fix against every writer of the chunk's rows. A
/// write that committed before the chunk read its row committed before the chunk did; a later one waited for the chunk
/// to commit. Positions are (commit LSN, index), so the snapshot's position lies between the two, as store ids do with
/// triggers, and the capture source hands the row on exactly as the trigger drain reads it (<c>StoreRelation</c>).
/// </para>
/// <para>
/// Several runners (a deposed leader's, say) never record a chunk twice: each chunk locks its backfill's row and reads
/// the cursor under that lock. The store is not flooded: no chunk is recorded while it holds
/// <see cref="MaxPendingSnapshotRows"/> snapshot rows or <see cref="MaxPendingRows"/> rows in all. With logical
/// replication, where the store holds nothing, no chunk is recorded while <see cref="MaxPendingSnapshotRows"/> chunks
/// are not yet confirmed by the slot, or while the slot is <see cref="MaxPendingWalBytes"/> behind the server's WAL.
/// Each chunk also records where the WAL stood (<c>last_lsn</c>), so whoever waits for a backfill to be published knows
/// it is once the slot has confirmed past that of its last transaction.
/// </para>
/// </remarks>
internal sealed class BackfillRunner(
    NpgsqlDataSource sessions,
    string captureSchema,
    string? slotName,
    IReadOnlyDictionary<(string Schema, string Table), ChangeMapping> mappings,
    ILogger logger)
{
    /// <summary>How long a chunk waits for a writer's row lock before it gives up and tries again later.</summary>
    public static readonly TimeSpan LockTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>Unpublished snapshot rows (chunks) the store may hold before the backfill waits.</summary>
    public const int MaxPendingSnapshotRows = 20;

    /// <summary>Unpublished rows of any kind the store may hold before the backfill waits, so live changes go first.</summary>
    public const int MaxPendingRows = 5000;

    /// <summary>With logical replication: how far the slot may be behind the server's WAL before the backfill waits.</summary>
    public const long MaxPendingWalBytes = 32L * 1024 * 1024;

    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PauseInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan NotPermittedRetry = TimeSpan.FromSeconds(30);

    /// <summary>How often progress is logged while a backfill runs.</summary>
    public static TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(5);

    private readonly string _backfills = CaptureSql.QualifiedName(captureSchema, CaptureSql.BackfillsTable);
    private readonly string _changes = CaptureSql.QualifiedName(captureSchema, CaptureSql.ChangesTable);

    // Wakes an idle drain as the triggers do: only while it is armed, so a busy drain costs the chunk nothing.
    private readonly string _wakeSql =
        $"SELECT pg_notify({CaptureSql.QuoteLiteral(CaptureSql.WakeupChannel(captureSchema))}, '') FROM {CaptureSql.QualifiedName(captureSchema, CaptureSql.WakeupTable)} w WHERE w.armed";
    private string? _lastProblem;

    // With logical replication: where the WAL stood at each chunk not yet known to be confirmed by the slot.
    private readonly Queue<NpgsqlTypes.NpgsqlLogSequenceNumber> _unconfirmed = new();

    /// <summary>Runs until <paramref name="stopping"/> is cancelled. Never throws otherwise: a backfill must not stop the drain.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        var failures = 0;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                // A new leader first takes up its backlog of changes; backfills start a moment later.
                await Task.Delay(PollInterval, stopping);
                await using var connection = await sessions.OpenConnectionAsync(stopping);
                var missing = await ConnectorGrants.MissingAsync(connection, captureSchema, stopping, ConnectorGrants.BackfillTables);
                if (missing.Count > 0)
                {
                    // A connector whose role lacks the store's backfill grants says so once; the drain is not disturbed.
                    NotPermitted($"its role lacks {string.Join(", ", missing)}: apply the output of `ablypg grants --role {connection.UserName}` as the owner");
                    await Task.Delay(NotPermittedRetry, stopping);
                    continue;
                }

                while (!stopping.IsCancellationRequested)
                {
                    var job = await NextAsync(connection, stopping);
                    if (job is null)
                    {
                        await Task.Delay(PollInterval, stopping);
                        continue;
                    }

                    failures = 0;
                    _lastProblem = null;
                    await RunJobAsync(connection, job, stopping);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // Permission denied, a store installed by an older version, a lost connection: the drain goes on.
                var delay = TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, Math.Min(failures++, 5))));
                if (e is PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege } denied)
                {
                    delay = NotPermittedRetry;
                    NotPermitted(denied.MessageText);
                }
                else if (e.Message != _lastProblem)
                {
                    _lastProblem = e.Message;
                    LogMessages.Failing(logger, delay, e);
                }

                try
                {
                    await Task.Delay(delay, stopping);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    private void NotPermitted(string reason)
    {
        if (reason != _lastProblem)
        {
            _lastProblem = reason;
            LogMessages.NotPermitted(logger, reason);
        }
    }

    private async Task<Job?> NextAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT id, table_schema, table_name, key_columns, where_sql, channel, from_key, to_key, chunk_rows, rows_done, rows_estimate " +
            $"FROM {_backfills} WHERE state = 'running' ORDER BY id LIMIT 1", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new Job(
            reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<string[]>(3),
            reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5),
            reader.IsDBNull(6) ? null : reader.GetFieldValue<string[]>(6), reader.IsDBNull(7) ? null : reader.GetFieldValue<string[]>(7),
            reader.GetInt32(8), reader.GetInt64(9), reader.GetInt64(10));
    }

    private async Task RunJobAsync(NpgsqlConnection connection, Job job, CancellationToken stopping)
    {
        var table = CaptureSql.QualifiedName(job.Schema, job.Table);
        if (!mappings.TryGetValue((job.Schema, job.Table), out var mapping))
        {
            await FinishAsync(connection, job.Id, "failed", $"{table} is not mapped by this connector", stopping);
            LogMessages.Failed(logger, job.Id, table, "it is not mapped by this connector");
            return;
        }

        if (await BackfillPrivileges.ProblemAsync(connection, captureSchema, job.Schema, job.Table, stopping) is { } denied)
        {
            await FinishAsync(connection, job.Id, "failed", denied, stopping);
            LogMessages.Failed(logger, job.Id, table, denied);
            return;
        }

        string sql;
        try
        {
            sql = await ChunkSqlAsync(connection, job, mapping, table, stopping);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedColumn or PostgresErrorCodes.UndefinedObject)
        {
            await FinishAsync(connection, job.Id, "failed", e.MessageText, stopping);
            LogMessages.Failed(logger, job.Id, table, e.MessageText);
            return;
        }

        LogMessages.Running(logger, job.Id, table, job.RowsDone, job.RowsEstimate);
        var done = job.RowsDone;
        var startedAt = Stopwatch.GetTimestamp();
        var startedDone = done;
        var lastLog = startedAt;
        while (!stopping.IsCancellationRequested)
        {
            if (Stopwatch.GetElapsedTime(lastLog) >= ProgressInterval)
            {
                lastLog = Stopwatch.GetTimestamp();
                var seconds = Math.Max(0.001, Stopwatch.GetElapsedTime(startedAt).TotalSeconds);
                LogMessages.Progress(logger, job.Id, table, done, job.RowsEstimate, (long)((done - startedDone) / seconds));
            }

            if (await StoreIsFullAsync(connection, stopping))
            {
                await Task.Delay(PauseInterval, stopping);
                continue;
            }

            ChunkResult result;
            try
            {
                result = await RecordChunkAsync(connection, job, sql, stopping);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.QueryCanceled or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                // A writer holds one of the chunk's rows: let it finish, and read the chunk again afterwards.
                await Task.Delay(PauseInterval, stopping);
                continue;
            }
            catch (PostgresException e) when (e.SqlState.StartsWith("42", StringComparison.Ordinal) || e.SqlState.StartsWith("22", StringComparison.Ordinal))
            {
                // The table or the filter no longer fits (a column dropped, a value out of range, a grant revoked): nothing
                // will change by retrying.
                var reason = e.SqlState == PostgresErrorCodes.InsufficientPrivilege
                    ? await BackfillPrivileges.ProblemAsync(connection, captureSchema, job.Schema, job.Table, stopping) ?? e.MessageText
                    : e.MessageText;
                await FinishAsync(connection, job.Id, "failed", reason, stopping);
                LogMessages.Failed(logger, job.Id, table, reason);
                return;
            }

            switch (result)
            {
                case ChunkResult.Recorded recorded:
                    done = recorded.RowsDone;
                    break;
                case ChunkResult.Finished:
                    LogMessages.Finished(logger, job.Id, table, done);
                    return;
                case ChunkResult.Gone:
                    return; // finished, failed or cancelled elsewhere
            }
        }
    }

    private async Task<bool> StoreIsFullAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (slotName is not null)
        {
            return await SlotIsBehindAsync(connection, slotName, cancellationToken);
        }

        await using var command = new NpgsqlCommand(
            $"SELECT count(*) FILTER (WHERE x.op = 'S') >= $1 OR count(*) >= $2 FROM (SELECT op FROM {_changes} LIMIT $2) x", connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = MaxPendingSnapshotRows });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = MaxPendingRows });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Whether the slot has not yet confirmed too many chunks, or is too far behind the WAL (logical replication).</summary>
    private async Task<bool> SlotIsBehindAsync(NpgsqlConnection connection, string slot, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT s.confirmed_flush_lsn, (pg_catalog.pg_current_wal_insert_lsn() - s.confirmed_flush_lsn)::bigint " +
            "FROM pg_catalog.pg_replication_slots s WHERE s.slot_name = $1 AND s.confirmed_flush_lsn IS NOT NULL", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = slot });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return false; // no slot: the capture source says why, and nothing recorded now could be published
        }

        var confirmed = reader.GetFieldValue<NpgsqlTypes.NpgsqlLogSequenceNumber>(0);
        while (_unconfirmed.Count > 0 && _unconfirmed.Peek() <= confirmed)
        {
            _unconfirmed.Dequeue();
        }

        return _unconfirmed.Count >= MaxPendingSnapshotRows || reader.GetInt64(1) >= MaxPendingWalBytes;
    }

    private async Task<ChunkResult> RecordChunkAsync(NpgsqlConnection connection, Job job, string sql, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken);
        await using (var settings = new NpgsqlCommand(
            $"SET LOCAL lock_timeout = {(int)LockTimeout.TotalMilliseconds}; SET LOCAL statement_timeout = 60000", connection, transaction))
        {
            await settings.ExecuteNonQueryAsync(cancellationToken);
        }

        string[]? cursor;
        await using (var state = new NpgsqlCommand($"SELECT state, cursor_key FROM {_backfills} WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            state.Parameters.Add(new NpgsqlParameter<long> { TypedValue = job.Id });
            await using var reader = await state.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken) || reader.GetString(0) != "running")
            {
                return new ChunkResult.Gone();
            }

            cursor = reader.IsDBNull(1) ? null : reader.GetFieldValue<string[]>(1);
        }

        long? changeId = null;
        long rows;
        string[]? last = null;
        await using (var chunk = new NpgsqlCommand(sql, connection, transaction))
        {
            chunk.Parameters.Add(new NpgsqlParameter<string> { TypedValue = job.Schema });
            chunk.Parameters.Add(new NpgsqlParameter<string> { TypedValue = job.Table });
            chunk.Parameters.Add(new NpgsqlParameter { Value = (object?)cursor ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
            chunk.Parameters.Add(new NpgsqlParameter { Value = (object?)job.From ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
            chunk.Parameters.Add(new NpgsqlParameter { Value = (object?)job.To ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
            chunk.Parameters.Add(new NpgsqlParameter<int> { TypedValue = job.ChunkRows });
            chunk.Parameters.Add(new NpgsqlParameter { Value = (object?)job.Channel ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            await using var reader = await chunk.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            changeId = reader.IsDBNull(0) ? null : reader.GetInt64(0);
            rows = reader.GetInt64(1);
            last = reader.IsDBNull(2) ? null : reader.GetFieldValue<string[]>(2);
        }

        // With logical replication the snapshot row leaves the store at once: the WAL holds it (see the remarks). The
        // WAL position read here is past every earlier chunk's commit, which is what waiting for the backfill compares.
        NpgsqlTypes.NpgsqlLogSequenceNumber lsn;
        ChunkResult result;
        await using (var update = new NpgsqlCommand(
            rows == 0
                ? $"UPDATE {_backfills} SET state = 'done', last_lsn = pg_catalog.pg_current_wal_insert_lsn(), finished_at = clock_timestamp(), updated_at = clock_timestamp() " +
                  "WHERE id = $1 RETURNING rows_done, last_lsn"
                : (slotName is null ? "" : $"WITH forgotten AS (DELETE FROM {_changes} WHERE id = $4) ") +
                  $"UPDATE {_backfills} SET cursor_key = $2, rows_done = rows_done + $3, chunks = chunks + 1, last_change = $4, " +
                  "last_lsn = pg_catalog.pg_current_wal_insert_lsn(), updated_at = clock_timestamp() WHERE id = $1 RETURNING rows_done, last_lsn",
            connection, transaction))
        {
            update.Parameters.Add(new NpgsqlParameter<long> { TypedValue = job.Id });
            if (rows > 0)
            {
                update.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = last! });
                update.Parameters.Add(new NpgsqlParameter<long> { TypedValue = rows });
                update.Parameters.Add(new NpgsqlParameter<long> { TypedValue = changeId!.Value });
            }

            await using var reader = await update.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var rowsDone = reader.GetInt64(0);
            lsn = reader.GetFieldValue<NpgsqlTypes.NpgsqlLogSequenceNumber>(1);
            result = rows == 0 ? new ChunkResult.Finished() : new ChunkResult.Recorded(rowsDone);
        }

        if (rows > 0 && slotName is null)
        {
            await using var wake = new NpgsqlCommand(_wakeSql, connection, transaction);
            await wake.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        if (rows > 0 && slotName is not null)
        {
            _unconfirmed.Enqueue(lsn);
        }

        return result;
    }

    /// <summary>
    /// The statement that records one chunk. Parameters: $1 schema, $2 table (as the store records them), $3 the cursor,
    /// $4 from, $5 to (text arrays, cast to the key's types), $6 the chunk's rows, $7 the named channel. Always with
    /// parameters, so PostgreSQL refuses a filter that tries to add a statement.
    /// </summary>
    private async Task<string> ChunkSqlAsync(NpgsqlConnection connection, Job job, ChangeMapping mapping, string table, CancellationToken cancellationToken)
    {
        var keyTypes = (await BackfillStore.PrimaryKeyAsync(connection, table, cancellationToken)).ToDictionary(k => k.Name, k => k.Type, StringComparer.Ordinal);
        var keys = job.KeyColumns;
        foreach (var key in keys)
        {
            if (!keyTypes.ContainsKey(key))
            {
                throw new PostgresException($"column {key} is no longer in the primary key of {table}", "ERROR", "ERROR", PostgresErrorCodes.UndefinedColumn);
            }
        }

        string Tuple(string prefix) => "(" + string.Join(", ", keys.Select(k => prefix + CaptureSql.QuoteIdentifier(k))) + ")";
        string Parameter(int number) => "(" + string.Join(", ", keys.Select((k, i) => "$" + number + "[" + (i + 1) + "]::" + keyTypes[k])) + ")";
        var order = string.Join(", ", keys.Select((_, i) => "c.ablypg_k" + i));
        var orderDescending = string.Join(", ", keys.Select((_, i) => "c.ablypg_k" + i + " DESC"));
        var element = "CASE WHEN octet_length(c.ablypg_row::text) <= " + CaptureSql.MaxRowBytes + " THEN c.ablypg_row " +
                      "ELSE to_json('the row is ' || octet_length(c.ablypg_row::text) || ' bytes of JSON; capture records rows of up to " + CaptureSql.MaxRowBytes + " bytes') END";
        var sql = new StringBuilder()
            .Append("WITH chunk AS MATERIALIZED (SELECT ")
            .Append(string.Join(", ", keys.Select((k, i) => "t." + CaptureSql.QuoteIdentifier(k) + " AS ablypg_k" + i)))
            .Append(", ").Append(TriggerBody.RowJson("t", mapping.Capture)).Append(" AS ablypg_row FROM ").Append(table).Append(" t WHERE ")
            .Append("($3::text[] IS NULL OR ").Append(Tuple("t.")).Append(" > ").Append(Parameter(3)).Append(") ")
            .Append("AND ($4::text[] IS NULL OR ").Append(Tuple("t.")).Append(" >= ").Append(Parameter(4)).Append(") ")
            .Append("AND ($5::text[] IS NULL OR ").Append(Tuple("t.")).Append(" <= ").Append(Parameter(5)).Append(") ");
        if (job.Where is { } where)
        {
            sql.Append("AND (").Append(where).Append("\n) "); // the line break ends a trailing -- comment
        }

        sql.Append("ORDER BY ").Append(Tuple("t.")).Append(" LIMIT $6 FOR SHARE OF t), ")
            .Append("recorded AS (INSERT INTO ").Append(_changes).Append(" (table_schema, table_name, op, n, data) ")
            .Append("SELECT $1, $2, 'S', count(*), json_agg(CASE WHEN $7::text IS NULL THEN ").Append(element)
            .Append(" ELSE json_build_array($7::text, ").Append(element).Append(") END ORDER BY ").Append(order).Append(") ")
            .Append("FROM chunk c HAVING count(*) > 0 RETURNING id) ")
            .Append("SELECT (SELECT id FROM recorded), (SELECT count(*) FROM chunk), ")
            .Append("(SELECT ARRAY[").Append(string.Join(", ", keys.Select((_, i) => "c.ablypg_k" + i + "::text"))).Append("] FROM chunk c ORDER BY ")
            .Append(orderDescending).Append(" LIMIT 1)");
        return sql.ToString();
    }

    private async Task FinishAsync(NpgsqlConnection connection, long id, string state, string? error, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"UPDATE {_backfills} SET state = $2, error = $3, finished_at = clock_timestamp(), updated_at = clock_timestamp() WHERE id = $1 AND state = 'running'", connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = state });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private sealed record Job(
        long Id, string Schema, string Table, string[] KeyColumns, string? Where, string? Channel, string[]? From, string[]? To, int ChunkRows, long RowsDone, long RowsEstimate);

    private abstract record ChunkResult
    {
        public sealed record Recorded(long RowsDone) : ChunkResult;

        public sealed record Finished : ChunkResult;

        public sealed record Gone : ChunkResult;
    }
}
