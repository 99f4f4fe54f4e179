// This file is compiled into both the runtime and the source generator (which cannot reference the runtime),
// so the capture contract — store layout, trigger functions, naming — lives in exactly one place.
// Keep it netstandard2.0-compatible and free of dependencies.
using System;
using System.Collections.Generic;
using System.Text;

namespace AblyPgTyped.Capture;

/// <summary>How a captured column's value is rendered into the capture JSON.</summary>
#if ABLYPG_GENERATOR
internal
#else
public
#endif
enum ColumnCapture
{
    /// <summary>PostgreSQL's own JSON rendering of the value.</summary>
    Value = 0,

    /// <summary><c>bytea</c> as unwrapped base64, independent of the session's <c>bytea_output</c>.</summary>
    Base64 = 1,

    /// <summary><c>interval</c> (or <c>time</c>) as a number of seconds, independent of <c>IntervalStyle</c>.</summary>
    EpochSeconds = 2,
}

/// <summary>One column as the triggers capture it.</summary>
internal readonly struct CapturedColumn
{
    public CapturedColumn(string name, ColumnCapture capture)
    {
        Name = name;
        Capture = capture;
    }

    public string Name { get; }

    public ColumnCapture Capture { get; }
}

/// <summary>What to capture for one table. <see cref="Columns"/> is null to capture whole rows (untyped mappings).</summary>
internal sealed class TableCapture
{
    public TableCapture(string schema, string table, IReadOnlyList<CapturedColumn>? columns, bool insert, bool update, bool delete)
    {
        Schema = schema;
        Table = table;
        Columns = columns;
        Insert = insert;
        Update = update;
        Delete = delete;
    }

    public string Schema { get; }

    public string Table { get; }

    public IReadOnlyList<CapturedColumn>? Columns { get; }

    public bool Insert { get; }

    public bool Update { get; }

    public bool Delete { get; }
}

/// <summary>
/// Builds the SQL of the durable capture store and of each table's triggers.
/// </summary>
/// <remarks>
/// The store is an outbox table, <c>changes</c>, written in the same transaction as the user's change.
/// INSERT and DELETE use statement-level triggers with transition tables: one store row holds up to
/// <see cref="ChunkSize"/> changes of one statement as a JSON array, which keeps bulk writes cheap.
/// UPDATE uses a row-level trigger so that each old row is paired with its new row exactly; its store row
/// holds <c>[[old, new]]</c>. Partitioned tables get row-level triggers for every operation (see
/// <see cref="TriggerBody"/>). Every identifier is quoted; every function body uses schema-qualified names.
/// <para>
/// Nothing the user does to the table can make capture fail the user's statement: the mapped columns are read
/// inside a block that turns a renamed or dropped column, a column whose new type no longer fits, or a row too large
/// to render, into a note recorded in the row's place, which the connector dead-letters with the reason; rows larger
/// than <see cref="MaxRowBytes"/> are recorded as a note of their size; and statements are split by bytes as well as
/// rows.
/// </para>
/// <para>
/// Wake-up is edge-triggered: a NOTIFY serialises commits database-wide, so writers notify only when the
/// connector has armed the one-row <c>wakeup</c> table because it found nothing to do. The first writer to
/// disarm it notifies; every other writer, and every writer while the connector is busy or stopped, only reads
/// the flag. SKIP LOCKED keeps writers from ever waiting on each other for it, and the connector arms and
/// disarms it with SKIP LOCKED too: a writer idle in its transaction while holding it only makes the connector
/// poll (every <c>IdleWakeupTimeout</c>) until it commits.
/// </para>
/// </remarks>
internal static class CaptureSql
{
    /// <summary>The capture schema used when none is configured.</summary>
    public const string DefaultSchema = "ablypg";

    /// <summary>The most changes one store row holds; larger statements are split.</summary>
    public const int ChunkSize = 1000;

    /// <summary>The most captured JSON bytes one store row holds (plus one row); larger statements are split.</summary>
    public const int ChunkBytes = 16 * 1024 * 1024;

    /// <summary>
    /// The largest row capture records. A larger one is recorded as a short note of its size instead, so that the
    /// user's statement never fails for its size; no Ably plan accepts a message of this size anyway.
    /// </summary>
    public const int MaxRowBytes = 1024 * 1024;

    /// <summary>Statements of up to this many rows are captured with one aggregate, without the chunking window.</summary>
    public const int SmallStatementRows = 100;

    /// <summary>The transition table's name inside the statement triggers.</summary>
    internal const string TransitionTable = "ablypg_rows";

    /// <summary>PostgreSQL truncates identifiers longer than this many bytes.</summary>
    public const int MaxIdentifierBytes = 63;

    public const string ChangesTable = "changes";
    public const string MappingsTable = "mappings";
    public const string StateTable = "state";
    public const string DeadLettersTable = "dead_letters";
    public const string WakeupTable = "wakeup";
    public const string BackfillsTable = "backfills";
    public const string SentCutsTable = "sent_cuts";

    /// <summary>The session advisory lock that the active connector of <paramref name="captureSchema"/> holds.</summary>
    public static long LeaderLockKey(string captureSchema) =>
        (0x41504731L << 32) | uint.Parse(Hash("leader\0" + captureSchema), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The transaction advisory lock that serialises installs of <paramref name="captureSchema"/>.</summary>
    public static long InstallLockKey(string captureSchema) =>
        (0x41504732L << 32) | uint.Parse(Hash("install\0" + captureSchema), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The NOTIFY channel on which armed triggers wake the connector of <paramref name="captureSchema"/>.</summary>
    public static string WakeupChannel(string captureSchema) => "ablypg_wakeup_" + Hash(captureSchema);

    /// <summary>Quotes an identifier: <c>a"b</c> becomes <c>"a""b"</c>.</summary>
    public static string QuoteIdentifier(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";

    /// <summary>Quotes a string literal, safe whatever <c>standard_conforming_strings</c> is set to.</summary>
    public static string QuoteLiteral(string value)
    {
        var quoted = "'" + value.Replace("'", "''") + "'";
        return value.IndexOf('\\') >= 0 ? "E" + quoted.Replace("\\", "\\\\") : quoted;
    }

    /// <summary>The schema-qualified, quoted name of a relation.</summary>
    public static string QualifiedName(string schema, string name) => QuoteIdentifier(schema) + "." + QuoteIdentifier(name);

    /// <summary>The trigger function's name for one table and operation ('I', 'U' or 'D').</summary>
    public static string FunctionName(string tableSchema, string table, char op)
    {
        var readable = Sanitize(tableSchema + "_" + table, 38);
        var suffix = op switch { 'I' => "ins", 'U' => "upd", 'D' => "del", _ => throw new ArgumentOutOfRangeException(nameof(op)) };
        return "capture_" + readable + "_" + Hash(tableSchema + "\0" + table) + "_" + suffix;
    }

    /// <summary>The trigger's name on the user's table; it names the capture schema so two installations never collide.</summary>
    public static string TriggerName(string captureSchema, char op)
    {
        var suffix = op switch { 'I' => "_capture_insert", 'U' => "_capture_update", 'D' => "_capture_delete", _ => throw new ArgumentOutOfRangeException(nameof(op)) };
        return Encoding.UTF8.GetByteCount(captureSchema) + suffix.Length <= MaxIdentifierBytes
            ? captureSchema + suffix
            : "ablypg_" + Hash(captureSchema) + suffix;
    }

    /// <summary>DDL that creates the capture schema and its tables; safe to run again.</summary>
    public static string InstallStore(string captureSchema)
    {
        var s = QuoteIdentifier(captureSchema);
        return
$@"CREATE SCHEMA IF NOT EXISTS {s};

CREATE TABLE IF NOT EXISTS {s}.""{ChangesTable}"" (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    table_schema text        NOT NULL,
    table_name   text        NOT NULL,
    op           ""char""      NOT NULL CONSTRAINT changes_op_check CHECK (op IN ('I', 'U', 'D', 'S')),
    n            integer     NOT NULL,
    captured_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    data         json        NOT NULL
);

-- 'S' rows are a backfill's snapshots; a store installed before backfills existed accepts them from here on.
ALTER TABLE {s}.""{ChangesTable}"" DROP CONSTRAINT IF EXISTS changes_op_check;
ALTER TABLE {s}.""{ChangesTable}"" ADD CONSTRAINT changes_op_check CHECK (op IN ('I', 'U', 'D', 'S')) NOT VALID;

{LzCompression(captureSchema)}

CREATE TABLE IF NOT EXISTS {s}.""{BackfillsTable}"" (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    table_schema  text        NOT NULL,
    table_name    text        NOT NULL,
    key_columns   text[]      NOT NULL,
    where_sql     text,
    channel       text,
    from_key      text[],
    to_key        text[],
    cursor_key    text[],
    rows_done     bigint      NOT NULL DEFAULT 0,
    rows_estimate bigint      NOT NULL DEFAULT 0,
    chunk_rows    integer     NOT NULL DEFAULT 500,
    chunks        bigint      NOT NULL DEFAULT 0,
    last_change   bigint,
    last_lsn      pg_lsn,
    state         text        NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done', 'failed', 'cancelled')),
    error         text,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at   timestamptz
);

-- Where the write-ahead log stood after the last chunk (logical replication: published once the slot is past it).
ALTER TABLE {s}.""{BackfillsTable}"" ADD COLUMN IF NOT EXISTS last_lsn pg_lsn;

-- How the chunks sent to Ably were cut into messages, written before they are sent (one row per leadership check):
-- after a crash the same changes go again as the same messages, with the same ids, which Ably de-duplicates.
CREATE TABLE IF NOT EXISTS {s}.""{SentCutsTable}"" (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    upto        bigint      NOT NULL,
    cuts        text        NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE IF NOT EXISTS {s}.""{WakeupTable}"" (
    armed boolean NOT NULL
);

INSERT INTO {s}.""{WakeupTable}"" (armed)
SELECT false WHERE NOT EXISTS (SELECT 1 FROM {s}.""{WakeupTable}"");

CREATE TABLE IF NOT EXISTS {s}.""{MappingsTable}"" (
    table_schema text        NOT NULL,
    table_name   text        NOT NULL,
    operation    text        NOT NULL CHECK (operation IN ('insert', 'update', 'delete')),
    channel      text        NOT NULL,
    row_type     text,
    installed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (table_schema, table_name, operation)
);

CREATE TABLE IF NOT EXISTS {s}.""{StateTable}"" (
    key   text PRIMARY KEY,
    value text NOT NULL
);

INSERT INTO {s}.""{StateTable}"" (key, value)
VALUES ('install_id', substr(md5(random()::text || clock_timestamp()::text), 1, 12))
ON CONFLICT (key) DO NOTHING;

CREATE TABLE IF NOT EXISTS {s}.""{DeadLettersTable}"" (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    change_id    bigint      NOT NULL,
    change_index integer     NOT NULL,
    table_schema text        NOT NULL,
    table_name   text        NOT NULL,
    op           ""char""      NOT NULL,
    channel      text,
    reason       text        NOT NULL,
    data         json,
    failed_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
";
    }

    /// <summary>DDL that removes the capture schema and everything in it, including every capture trigger
    /// (dropping a trigger function cascades to the triggers that call it).</summary>
    public static string UninstallStore(string captureSchema) =>
        $"DROP SCHEMA IF EXISTS {QuoteIdentifier(captureSchema)} CASCADE;\n";

    /// <summary>
    /// DDL that installs capture for one table, exactly for its columns and operations, and removes the
    /// triggers of operations no longer captured. Idempotent: running it again changes nothing.
    /// </summary>
    public static string InstallTable(string captureSchema, TableCapture table)
    {
        var sql = new StringBuilder();
        AppendOperation(sql, captureSchema, table, 'I', table.Insert);
        AppendOperation(sql, captureSchema, table, 'U', table.Update);
        AppendOperation(sql, captureSchema, table, 'D', table.Delete);
        return sql.ToString();
    }

    /// <summary>DDL that removes one table's capture triggers and functions. It works even when the table is gone.</summary>
    public static string UninstallTable(string captureSchema, string tableSchema, string table)
    {
        var sql = new StringBuilder();
        foreach (var op in new[] { 'I', 'U', 'D' })
        {
            AppendDropFunction(sql, captureSchema, tableSchema, table, op);
        }

        return sql.ToString();
    }

    /// <summary>
    /// Compresses the store's JSON with lz4 where the server has it (PostgreSQL 14+, built with lz4), pglz otherwise: the
    /// writer compresses a statement's JSON inside its own statement, and pglz takes about seven times as long (about 40
    /// µs for the 10 KB of a 100-row INSERT, against 6). A no-op where lz4 is already set.
    /// </summary>
    private static string LzCompression(string captureSchema)
    {
        var changes = QualifiedName(captureSchema, ChangesTable);
        var body =
            "BEGIN\n" +
            "    IF pg_catalog.current_setting('server_version_num')::integer >= 140000 THEN\n" +
            // A separate statement: attcompression does not exist before PostgreSQL 14.
            "        IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = " + QuoteLiteral(changes) + "::regclass\n" +
            "                   AND a.attname = 'data' AND a.attcompression IS DISTINCT FROM 'l') THEN\n" +
            "            EXECUTE " + QuoteLiteral("ALTER TABLE " + changes + " ALTER COLUMN data SET COMPRESSION lz4") + ";\n" +
            "        END IF;\n" +
            "    END IF;\n" +
            "EXCEPTION WHEN feature_not_supported THEN\n" +
            "    NULL; -- a server built without lz4 keeps pglz\n" +
            "END\n";
        var tag = DollarTag(body);
        return "-- The store's JSON is compressed with lz4 where the server has it (PostgreSQL 14+): pglz costs writers about seven times as much.\n" +
               "DO " + tag + "\n" + body + tag + ";\n";
    }

    private static void AppendOperation(StringBuilder sql, string captureSchema, TableCapture table, char op, bool captured)
    {
        if (!captured)
        {
            AppendDropFunction(sql, captureSchema, table.Schema, table.Table, op);
            return;
        }

        var function = QualifiedName(captureSchema, FunctionName(table.Schema, table.Table, op));
        var body = new TriggerBody(captureSchema, table, op).ToString();
        var tag = DollarTag(body);

        sql.Append("CREATE OR REPLACE FUNCTION ").Append(function).Append("()\n")
           .Append("RETURNS trigger\n")
           .Append("LANGUAGE plpgsql\n")
           // Runs as the owner so that writers need no grants on the capture schema. Without a fixed search_path, which
           // costs every call a settings save and restore: the body names everything with its schema (see TriggerBody).
           .Append("SECURITY DEFINER\n")
           .Append("AS ").Append(tag).Append('\n')
           .Append(body)
           .Append(tag).Append(";\n\n");

        var trigger = TriggerName(captureSchema, op);
        var target = QualifiedName(table.Schema, table.Table);
        var kind = op switch { 'I' => "INSERT", 'U' => "UPDATE", _ => "DELETE" };

        // Plain tables: INSERT and DELETE per statement, with a transition table; UPDATE per row, which pairs old and
        // new exactly. Partitioned tables: every operation per row, since only row triggers on the parent reach a
        // statement that names a partition (and partitions attached later); the parent's name is recorded either way.
        var rowTrigger = "        CREATE TRIGGER " + QuoteIdentifier(trigger) + " AFTER " + kind + " ON " + target +
                         " FOR EACH ROW EXECUTE FUNCTION " + function + "();\n";
        var statementTrigger = op == 'U'
            ? rowTrigger
            : "        CREATE TRIGGER " + QuoteIdentifier(trigger) + " AFTER " + kind + " ON " + target +
              (op == 'I' ? " REFERENCING NEW TABLE AS " : " REFERENCING OLD TABLE AS ") + TransitionTable +
              " FOR EACH STATEMENT EXECUTE FUNCTION " + function + "();\n";

        // CREATE OR REPLACE TRIGGER needs PostgreSQL 14, and the form depends on what the table is when this runs:
        // this block keeps 13 supported, re-runs as a no-op, and replaces a trigger of the wrong form.
        var guard = new StringBuilder()
            .Append("DECLARE\n")
            .Append("    partitioned boolean := (SELECT c.relkind = 'p' FROM pg_catalog.pg_class c WHERE c.oid = ")
            .Append(QuoteLiteral(target)).Append("::regclass);\n")
            .Append("    existing smallint := (SELECT t.tgtype FROM pg_catalog.pg_trigger t WHERE t.tgrelid = ")
            .Append(QuoteLiteral(target)).Append("::regclass AND t.tgname = ").Append(QuoteLiteral(trigger)).Append(");\n")
            .Append("BEGIN\n")
            // tgtype's lowest bit is set for row triggers.
            .Append("    IF existing IS NOT NULL AND ((existing & 1) = 1) <> (partitioned OR ").Append(op == 'U' ? "true" : "false").Append(") THEN\n")
            .Append("        DROP TRIGGER ").Append(QuoteIdentifier(trigger)).Append(" ON ").Append(target).Append(";\n")
            .Append("        existing := NULL;\n")
            .Append("    END IF;\n")
            .Append("    IF existing IS NULL AND partitioned THEN\n")
            .Append(rowTrigger)
            .Append("    ELSIF existing IS NULL THEN\n")
            .Append(statementTrigger)
            .Append("    END IF;\n")
            .Append("END\n")
            .ToString();
        var guardTag = DollarTag(guard);
        sql.Append("DO ").Append(guardTag).Append('\n').Append(guard).Append(guardTag).Append(";\n\n");
    }

    private static void AppendDropFunction(StringBuilder sql, string captureSchema, string tableSchema, string table, char op) =>
        sql.Append("DROP FUNCTION IF EXISTS ")
           .Append(QualifiedName(captureSchema, FunctionName(tableSchema, table, op)))
           .Append("() CASCADE;\n");

    /// <summary>A dollar-quote tag that does not occur in <paramref name="text"/>, so hostile names cannot end the body.</summary>
    private static string DollarTag(string text)
    {
        var tag = "$ablypg$";
        for (var i = 1; text.IndexOf(tag, StringComparison.Ordinal) >= 0; i++)
        {
            tag = "$ablypg" + i + "$";
        }

        return tag;
    }

    /// <summary>Up to <paramref name="maxLength"/> characters of <paramref name="text"/> in <c>[a-z0-9_]</c>, for readable generated names.</summary>
    internal static string Sanitize(string text, int maxLength)
    {
        var result = new StringBuilder(maxLength);
        foreach (var c in text)
        {
            if (result.Length == maxLength)
            {
                break;
            }

            result.Append(c is >= 'a' and <= 'z' or >= '0' and <= '9' ? c : c is >= 'A' and <= 'Z' ? char.ToLowerInvariant(c) : '_');
        }

        return result.ToString();
    }

    /// <summary>FNV-1a over UTF-8: stable across processes and platforms, unlike string.GetHashCode.</summary>
    internal static string Hash(string text)
    {
        var hash = 2166136261;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 16777619;
        }

        return hash.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
    }
}
