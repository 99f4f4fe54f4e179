using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Backfilling;
using AblyPgTyped.Capture;
using AblyPgTyped.Capture.Logical;
using AblyPgTyped.Cli.DeadLetters;
using Npgsql;

namespace AblyPgTyped.Cli.Status;

/// <summary>
/// Reads a capture schema's status from the catalog and the store. Every statement only reads; the backlog and the dead
/// letters are counted in full (one scan of each table), everything else through keys or the catalog. A section this
/// role may not read is left out and named, rather than failing the whole report.
/// </summary>
internal sealed class StatusReader(NpgsqlConnection connection, string captureSchema)
{
    private readonly List<string> _unreadable = [];

    public async Task<StoreStatus> ReadAsync(CancellationToken cancellationToken = default)
    {
        var checkedAt = DateTimeOffset.UtcNow;
        var connector = await LeaderProbe.FindAsync(connection, captureSchema, cancellationToken);
        var installed = await CliDatabase.IsInstalledAsync(connection, captureSchema, cancellationToken);
        if (!installed)
        {
            return new StoreStatus(checkedAt, connection.Database, captureSchema, false, null, connector, null, null, null, null, null, null, _unreadable);
        }

        var slot = await ReplicationSlotProbe.FindAsync(connection, captureSchema, cancellationToken);

        return new StoreStatus(
            checkedAt,
            connection.Database,
            captureSchema,
            true,
            await SectionAsync("install id", InstallIdAsync, cancellationToken),
            connector,
            slot,
            slot is null ? await SectionAsync("backlog", BacklogAsync, cancellationToken) : null,
            await SectionAsync("dead letters", DeadLettersAsync, cancellationToken),
            await SectionAsync("backfills", BackfillsAsync, cancellationToken),
            await SectionAsync("store size", SizeAsync, cancellationToken),
            await SectionAsync<IReadOnlyList<CapturedTable>>("captured tables", slot is null ? CapturedTablesAsync : PublishedTablesAsync, cancellationToken),
            _unreadable);
    }

    private async Task<T?> SectionAsync<T>(string name, Func<CancellationToken, Task<T>> read, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await read(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.UndefinedTable)
        {
            _unreadable.Add(name + ": " + e.MessageText);
            return null;
        }
    }

    private string Table(string name) => CaptureSql.QualifiedName(captureSchema, name);

    private async Task<string> InstallIdAsync(CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT value FROM {Table(CaptureSql.StateTable)} WHERE key = 'install_id'", connection);
        return await command.ExecuteScalarAsync(cancellationToken) as string ?? "";
    }

    private async Task<Backlog> BacklogAsync(CancellationToken cancellationToken)
    {
        var groups = new List<(string Schema, string Table, long Changes, long Rows, DateTimeOffset Oldest, double Age, string? Channel)>();
        await using (var command = new NpgsqlCommand(
            $"""
            WITH g AS (
                SELECT table_schema, table_name, op, sum(n)::bigint AS changes, count(*) AS store_rows, min(captured_at) AS oldest
                FROM {Table(CaptureSql.ChangesTable)} GROUP BY table_schema, table_name, op)
            SELECT g.table_schema, g.table_name, g.changes, g.store_rows, g.oldest,
                   extract(epoch FROM clock_timestamp() - g.oldest)::float8, m.channel
            FROM g LEFT JOIN {Table(CaptureSql.MappingsTable)} m
              ON m.table_schema = g.table_schema AND m.table_name = g.table_name
             AND m.operation = CASE g.op WHEN 'I' THEN 'insert' WHEN 'S' THEN 'insert' WHEN 'U' THEN 'update' WHEN 'D' THEN 'delete' END
            """,
            connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                groups.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3),
                    reader.GetFieldValue<DateTimeOffset>(4), Age(reader.GetDouble(5)), reader.IsDBNull(6) ? null : reader.GetString(6)));
            }
        }

        var tables = groups.GroupBy(g => (g.Schema, g.Table))
            .Select(t => new TableBacklog(t.Key.Schema, t.Key.Table, t.Sum(g => g.Changes), t.Sum(g => g.Rows), t.Min(g => g.Oldest), t.Max(g => g.Age)))
            .OrderByDescending(t => t.Changes).ThenBy(t => t.Schema, StringComparer.Ordinal).ThenBy(t => t.Table, StringComparer.Ordinal)
            .ToList();
        var channels = groups.GroupBy(g => g.Channel)
            .Select(c => new ChannelBacklog(c.Key, c.Sum(g => g.Changes), c.Min(g => g.Oldest), c.Max(g => g.Age)))
            .OrderByDescending(c => c.Changes).ThenBy(c => c.Channel, StringComparer.Ordinal)
            .ToList();
        var oldest = tables.Count == 0 ? null : await OldestAsync(cancellationToken);
        return new Backlog(tables.Sum(t => t.Changes), tables.Sum(t => t.StoreRows), oldest, oldest?.AgeSeconds ?? 0, tables, channels);
    }

    private async Task<OldestChange?> OldestAsync(CancellationToken cancellationToken)
    {
        // The position of a store row's first change not yet published: finished ones are JSON null in place.
        await using var command = new NpgsqlCommand(
            $"""
            SELECT c.id, c.table_schema, c.table_name, c.op::text, c.captured_at, extract(epoch FROM clock_timestamp() - c.captured_at)::float8,
                   CASE WHEN json_typeof(c.data) = 'array' THEN
                       (SELECT min(t.o) - 1 FROM json_array_elements(c.data) WITH ORDINALITY t(e, o) WHERE json_typeof(t.e) <> 'null') END
            FROM {Table(CaptureSql.ChangesTable)} c ORDER BY c.captured_at, c.id LIMIT 1
            """,
            connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var index = reader.IsDBNull(6) ? 0 : reader.GetInt64(6);
        return new OldestChange(
            new ChangePosition(reader.GetInt64(0), (int)index).ToString(), reader.GetString(1), reader.GetString(2),
            DeadLetterKinds.OperationName(reader.GetString(3)[0]), reader.GetFieldValue<DateTimeOffset>(4), Age(reader.GetDouble(5)));
    }

    private async Task<DeadLetterSummary> DeadLettersAsync(CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand { Connection = connection };
        var kind = DeadLetterKinds.SqlCase("d.reason", command);
        command.CommandText =
            $"""
            SELECT x.table_schema, x.table_name, x.kind, count(*), min(x.failed_at), max(x.failed_at), max(x.reason) FILTER (WHERE x.latest)
            FROM (SELECT d.table_schema, d.table_name, d.failed_at, d.reason, k.kind,
                         d.id = max(d.id) OVER (PARTITION BY d.table_schema, d.table_name, k.kind) AS latest
                  FROM {Table(CaptureSql.DeadLettersTable)} d CROSS JOIN LATERAL (SELECT {kind} AS kind) k) x
            GROUP BY x.table_schema, x.table_name, x.kind
            ORDER BY x.table_schema, x.table_name, x.kind
            """;
        var groups = new List<DeadLetterGroup>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            groups.Add(new DeadLetterGroup(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetString(6)));
        }

        return new DeadLetterSummary(groups.Sum(g => g.Count), groups);
    }

    private async Task<IReadOnlyList<BackfillStatus>> BackfillsAsync(CancellationToken cancellationToken) =>
        (await BackfillStore.ListAsync(connection, captureSchema, id: null, limit: 100, cancellationToken)).Where(b => b.IsRunning).ToList();

    private async Task<StoreSize> SizeAsync(CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT coalesce(sum(pg_catalog.pg_total_relation_size(c.oid)) FILTER (WHERE c.relname = $2), 0)::bigint,
                   coalesce(sum(pg_catalog.pg_total_relation_size(c.oid)) FILTER (WHERE c.relname = $3), 0)::bigint,
                   coalesce(sum(pg_catalog.pg_total_relation_size(c.oid)), 0)::bigint
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = captureSchema });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = CaptureSql.ChangesTable });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = CaptureSql.DeadLettersTable });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new StoreSize(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    private async Task<IReadOnlyList<CapturedTable>> CapturedTablesAsync(CancellationToken cancellationToken)
    {
        // tgtype's bits: 4 insert, 8 delete, 16 update. Triggers cloned onto partitions (tgparentid set) count under their parent.
        await using var command = new NpgsqlCommand(
            """
            SELECT tn.nspname::text, tc.relname::text,
                   bool_or(t.tgtype & 4 <> 0), bool_or(t.tgtype & 16 <> 0), bool_or(t.tgtype & 8 <> 0)
            FROM pg_catalog.pg_trigger t
            JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
            JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
            JOIN pg_catalog.pg_class tc ON tc.oid = t.tgrelid
            JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
            WHERE pn.nspname = $1 AND p.proname LIKE $2 AND NOT t.tgisinternal AND t.tgparentid = 0
            GROUP BY tn.nspname, tc.relname
            ORDER BY tn.nspname, tc.relname
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = captureSchema });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = CaptureObjects.FunctionPrefix.Replace("_", "\\_", StringComparison.Ordinal) + "%" });
        return await ReadTablesAsync(command, cancellationToken);
    }

    /// <summary>Reads rows of (schema, table, insert, update, delete).</summary>
    private static async Task<IReadOnlyList<CapturedTable>> ReadTablesAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var tables = new List<CapturedTable>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var operations = new List<string>();
            if (reader.GetBoolean(2))
            {
                operations.Add("insert");
            }

            if (reader.GetBoolean(3))
            {
                operations.Add("update");
            }

            if (reader.GetBoolean(4))
            {
                operations.Add("delete");
            }

            tables.Add(new CapturedTable(reader.GetString(0), reader.GetString(1), operations));
        }

        return tables;
    }

    /// <summary>
    /// In logical-replication mode, the tables in the capture schema's publications, and the operations they publish;
    /// not the store, which is published only for backfills' chunks.
    /// </summary>
    private async Task<IReadOnlyList<CapturedTable>> PublishedTablesAsync(CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT pt.schemaname::text, pt.tablename::text, bool_or(p.pubinsert), bool_or(p.pubupdate), bool_or(p.pubdelete)
            FROM pg_catalog.pg_publication p JOIN pg_catalog.pg_publication_tables pt ON pt.pubname = p.pubname
            WHERE p.pubname = ANY($1) AND NOT (pt.schemaname = $2 AND pt.tablename = $3)
            GROUP BY pt.schemaname, pt.tablename
            ORDER BY pt.schemaname, pt.tablename
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = PublicationSql.PublicationNames(captureSchema).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = captureSchema });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = CaptureSql.ChangesTable });
        return await ReadTablesAsync(command, cancellationToken);
    }

    /// <summary>Ages to a tenth of a second; a clock a little behind the captures' never gives a negative age.</summary>
    private static double Age(double seconds) => Math.Max(0, Math.Round(seconds, 1));
}
