// Compiled into both the runtime and the source generator, like CaptureSql.cs: keep it netstandard2.0-compatible.
using System.Collections.Generic;
using System.Text;

namespace AblyPgTyped.Capture;

/// <summary>The PL/pgSQL body of one table's capture function for one operation.</summary>
/// <remarks>
/// <para>
/// The function must never make the user's statement fail. Reading the mapped columns is the one step a schema
/// change can break (a renamed or dropped column is an error when the statement is planned), so it runs in its own
/// block: on an error there (<c>undefined_column</c>; <c>undefined_function</c> when a column's type changed under
/// <c>encode</c> or <c>extract</c>; a row too large to render at all), each captured row is recorded as a
/// JSON string saying why — a note, where a row is always an object — and the connector dead-letters it with that
/// reason. Errors a retry may cure are raised again instead (see <see cref="Transient"/>), as they would be without
/// capture. The block only reads, so its subtransaction takes no transaction id (many of them in one transaction
/// would otherwise overflow the snapshot's subtransaction cache). The store is written outside it.
/// </para>
/// <para>
/// No user column is ever referenced unqualified, and no variable is referenced where a user column is in scope,
/// so no column name can shadow or be shadowed by the function's own names (<c>n</c>, <c>r</c>, <c>data</c>, …).
/// The table's mapped name is written into the body, so a partition's row trigger records its parent's name.
/// </para>
/// <para>
/// The function runs as its owner but with the caller's <c>search_path</c>: a <c>SET search_path</c> clause would cost
/// a settings save and restore on every call, about a tenth of what capturing a single-row INSERT costs. So every
/// function, operator and type the body names is written with its schema, <c>pg_catalog</c> (tables with the capture
/// schema's), and nothing a caller puts on its path can stand in for them.
/// </para>
/// </remarks>
internal sealed class TriggerBody
{
    private const string Problem = "ablypg_problem";
    private const string Count = "ablypg_count";
    private const string Data = "ablypg_data";
    private const string Armed = "ablypg_armed";

    /// <summary>
    /// Errors the read block raises again: a retry may well succeed (serialization failure, deadlock, lock timeout, out of
    /// memory or disk, an I/O error), and a note would lose the change for good where the failed statement loses nothing.
    /// </summary>
    private const string Transient =
        "WHEN transaction_rollback OR insufficient_resources OR object_not_in_prerequisite_state OR operator_intervention OR system_error THEN RAISE;";

    /// <summary>The wake-up flag, read in the same statement as the rows, which saves a statement per call.</summary>
    private readonly string _armedNow;

    private readonly string _changes;
    private readonly string _wakeup;
    private readonly string _notifyChannel;
    private readonly TableCapture _table;
    private readonly char _op;

    public TriggerBody(string captureSchema, TableCapture table, char op)
    {
        _changes = CaptureSql.QualifiedName(captureSchema, CaptureSql.ChangesTable);
        _wakeup = CaptureSql.QualifiedName(captureSchema, CaptureSql.WakeupTable);
        _notifyChannel = CaptureSql.WakeupChannel(captureSchema);
        _armedNow = "(SELECT w.armed FROM " + _wakeup + " w)";
        _table = table;
        _op = op;
    }

    public override string ToString()
    {
        var body = new StringBuilder()
            .Append("DECLARE\n")
            .Append("    ").Append(Count).Append(" bigint;\n")
            .Append("    ").Append(Data).Append(" pg_catalog.json;\n")
            .Append("    ").Append(Problem).Append(" pg_catalog.text;\n")
            .Append("    ").Append(Armed).Append(" boolean;\n")
            .Append("BEGIN\n");
        if (_op == 'U')
        {
            AppendRowLevel(body, "    ");
        }
        else
        {
            // Row level on partitioned tables (see CaptureSql.AppendOperation), statement level otherwise.
            body.Append("    IF TG_LEVEL OPERATOR(pg_catalog.=) 'ROW' THEN\n");
            AppendRowLevel(body, "        ");
            body.Append("    ELSE\n");
            AppendStatementLevel(body, "        ");
            body.Append("    END IF;\n");
        }

        return body
            // The first writer to find the flag armed disarms it and notifies; SKIP LOCKED keeps writers from waiting on
            // each other for it, and the connector never waits on it either (see TriggerCaptureSource). The flag is unread
            // (null) when reading the rows failed: then the locking read below is what looks at it.
            .Append("    IF ").Append(Armed).Append(" IS NOT FALSE THEN\n")
            .Append("        PERFORM 1 FROM ").Append(_wakeup).Append(" w WHERE w.armed FOR UPDATE SKIP LOCKED;\n")
            .Append("        IF FOUND THEN\n")
            .Append("            UPDATE ").Append(_wakeup).Append(" SET armed = false;\n")
            .Append("            PERFORM pg_catalog.pg_notify(").Append(CaptureSql.QuoteLiteral(_notifyChannel)).Append(", '');\n")
            .Append("        END IF;\n")
            .Append("    END IF;\n")
            .Append("    RETURN NULL;\n")
            .Append("END\n")
            .ToString();
    }

    private void AppendRowLevel(StringBuilder body, string indent)
    {
        var value = _op switch
        {
            'I' => Guarded(RowOf("NEW")),
            'D' => Guarded(RowOf("OLD")),
            _ => "pg_catalog.json_build_array(" + Guarded(RowOf("OLD")) + ", " + Guarded(RowOf("NEW")) + ")",
        };
        var note = _op == 'U' ? "pg_catalog.json_build_array(" + NoteOf("SQLERRM") + ", " + NoteOf("SQLERRM") + ")" : NoteOf("SQLERRM");

        body.Append(indent).Append("BEGIN\n")
            .Append(indent).Append("    SELECT ").Append(value).Append(", ").Append(_armedNow).Append(" INTO ").Append(Data).Append(", ").Append(Armed).Append(";\n")
            .Append(indent).Append("EXCEPTION ").Append(Transient).Append('\n')
            .Append(indent).Append("WHEN OTHERS THEN\n")
            .Append(indent).Append("    ").Append(Data).Append(" := ").Append(note).Append(";\n")
            .Append(indent).Append("END;\n")
            .Append(indent).Append("INSERT INTO ").Append(_changes).Append(" (table_schema, table_name, op, n, data)\n")
            .Append(indent).Append("VALUES (").Append(Origin()).Append(", 1, pg_catalog.json_build_array(").Append(Data).Append("));\n");
    }

    private void AppendStatementLevel(StringBuilder body, string indent)
    {
        // A single-row statement, most writes, has its row rendered straight from its record by the aggregate. Any other,
        // or a row larger than capture records, has its rows rendered one by one, each held to the limit, so that the
        // aggregate never holds more than 101 rows of at most 1 MiB.
        var limit = CaptureSql.SmallStatementRows + 1;
        body.Append(indent).Append("BEGIN\n")
            .Append(indent).Append("    SELECT pg_catalog.count(*), pg_catalog.json_agg(p.*), ").Append(_armedNow)
            .Append(" INTO ").Append(Count).Append(", ").Append(Data).Append(", ").Append(Armed).Append('\n')
            .Append(indent).Append("    FROM (").Append(Records()).Append(" LIMIT 2) p;\n")
            .Append(indent).Append("    IF ").Append(Count).Append(" OPERATOR(pg_catalog.>) 1 OR pg_catalog.octet_length(").Append(Data).Append("::pg_catalog.text) OPERATOR(pg_catalog.>) ")
            .Append(CaptureSql.MaxRowBytes).Append(" THEN\n")
            .Append(indent).Append("        SELECT pg_catalog.count(*), pg_catalog.json_agg(g.j) INTO ").Append(Count).Append(", ").Append(Data).Append('\n')
            .Append(indent).Append("        FROM (SELECT ").Append(Guard("r.j")).Append(" FROM (").Append(Rows()).Append(" LIMIT ").Append(limit).Append(") r(j)) g(j);\n")
            .Append(indent).Append("    END IF;\n")
            .Append(indent).Append("EXCEPTION ").Append(Transient).Append('\n')
            .Append(indent).Append("WHEN OTHERS THEN\n")
            .Append(indent).Append("    ").Append(Problem).Append(" := SQLERRM;\n")
            .Append(indent).Append("END;\n")
            .Append(indent).Append("IF ").Append(Problem).Append(" IS NOT NULL THEN\n")
            .Append(indent).Append("    SELECT pg_catalog.count(*) INTO ").Append(Count).Append(" FROM ").Append(CaptureSql.TransitionTable).Append(";\n")
            .Append(indent).Append("    INSERT INTO ").Append(_changes).Append(" (table_schema, table_name, op, n, data)\n")
            .Append(indent).Append("    SELECT ").Append(Origin()).Append(", pg_catalog.count(*), pg_catalog.json_agg(").Append(NoteOf(Problem)).Append(")\n")
            .Append(indent).Append("    FROM pg_catalog.generate_series(0, ").Append(Count).Append(" OPERATOR(pg_catalog.-) 1) s(i)\n")
            .Append(indent).Append("    GROUP BY s.i OPERATOR(pg_catalog./) ").Append(CaptureSql.ChunkSize).Append('\n')
            .Append(indent).Append("    ORDER BY s.i OPERATOR(pg_catalog./) ").Append(CaptureSql.ChunkSize).Append(";\n")
            .Append(indent).Append("ELSIF ").Append(Count).Append(" OPERATOR(pg_catalog.>) 0 AND ").Append(Count).Append(" OPERATOR(pg_catalog.<=) ")
            .Append(CaptureSql.SmallStatementRows).Append(" THEN\n")
            .Append(indent).Append("    INSERT INTO ").Append(_changes).Append(" (table_schema, table_name, op, n, data)\n")
            .Append(indent).Append("    VALUES (").Append(Origin()).Append(", ").Append(Count).Append(", ").Append(Data).Append(");\n")
            .Append(indent).Append("ELSIF ").Append(Count).Append(" OPERATOR(pg_catalog.>) ").Append(CaptureSql.SmallStatementRows).Append(" THEN\n");

        // Larger statements are cut into store rows of at most ChunkSize changes and about ChunkBytes of JSON. The
        // window has no ORDER BY, so it numbers and sums rows in the order they are read, without a sort; the two
        // chunk numbers never decrease along that order, so grouping by both keeps each chunk contiguous. OFFSET 0
        // renders each row once (see Guard).
        body.Append(indent).Append("    INSERT INTO ").Append(_changes).Append(" (table_schema, table_name, op, n, data)\n")
            .Append(indent).Append("    SELECT ").Append(Origin()).Append(", pg_catalog.count(*), pg_catalog.json_agg(c.j ORDER BY c.i)\n")
            .Append(indent).Append("    FROM (SELECT w.j, w.i, (w.i OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog./) ").Append(CaptureSql.ChunkSize)
            .Append(" AS by_rows, (w.upto OPERATOR(pg_catalog.-) w.len) OPERATOR(pg_catalog./) ").Append(CaptureSql.ChunkBytes).Append(" AS by_bytes\n")
            .Append(indent).Append("          FROM (SELECT g.j, pg_catalog.octet_length(g.j::pg_catalog.text) AS len, pg_catalog.row_number() OVER x AS i,")
            .Append(" pg_catalog.sum(pg_catalog.octet_length(g.j::pg_catalog.text)) OVER x AS upto\n")
            .Append(indent).Append("                FROM (SELECT ").Append(Guard("r.j")).Append(" FROM (").Append(Rows()).Append(" OFFSET 0) r(j) OFFSET 0) g(j)\n")
            .Append(indent).Append("                WINDOW x AS (ROWS UNBOUNDED PRECEDING)) w) c\n")
            .Append(indent).Append("    GROUP BY c.by_rows, c.by_bytes\n")
            .Append(indent).Append("    ORDER BY c.by_rows, c.by_bytes;\n")
            .Append(indent).Append("END IF;\n");
    }

    /// <summary>The mapped table's name and the operation, as the store records them.</summary>
    private string Origin() =>
        CaptureSql.QuoteLiteral(_table.Schema) + ", " + CaptureSql.QuoteLiteral(_table.Table) + ", '" + _op + "'";

    /// <summary>One JSON object per row of the transition table: the mapped columns, or the whole row.</summary>
    private string Rows() => _table.Columns is null
        ? "SELECT pg_catalog.to_json(t.*) FROM " + CaptureSql.TransitionTable + " t"
        : "SELECT pg_catalog.to_json(p.*) FROM (" + Records() + ") p";

    /// <summary>The transition table's rows as records of the mapped columns, or whole; JSON renders them as <see cref="Rows"/> does.</summary>
    private string Records() => _table.Columns is null
        ? "SELECT t.* FROM " + CaptureSql.TransitionTable + " t"
        : "SELECT " + SelectList("t", _table.Columns) + " FROM " + CaptureSql.TransitionTable + " t";

    /// <summary>
    /// An expression rendering the row of table alias <paramref name="alias"/> exactly as the triggers render it (the
    /// mapped columns, or the whole row), for a backfill's snapshots.
    /// </summary>
    internal static string RowJson(string alias, TableCapture table) => table.Columns is null
        ? "pg_catalog.to_json(" + alias + ".*)"
        : "(SELECT pg_catalog.to_json(p.*) FROM (SELECT " + SelectList(alias, table.Columns) + ") p)";

    /// <summary>A scalar subquery rendering one row variable (<c>NEW</c> or <c>OLD</c>).</summary>
    private string RowOf(string variable) => _table.Columns is null
        ? "(SELECT pg_catalog.to_json(" + variable + "))"
        : "(SELECT pg_catalog.to_json(p.*) FROM (SELECT " + SelectList(variable, _table.Columns) + ") p)";

    /// <summary>A scalar subquery: <paramref name="row"/>, or a note of its size when it is larger than capture records.</summary>
    private static string Guarded(string row) => "(SELECT " + Guard("r.j") + " FROM (SELECT " + row + " OFFSET 0) r(j))";

    /// <remarks>
    /// It names its argument three times: every subquery it reads from ends in <c>LIMIT</c> or <c>OFFSET 0</c>, which
    /// keeps the planner from pulling the subquery up and rendering the row once per mention.
    /// </remarks>
    private static string Guard(string json) =>
        "CASE WHEN pg_catalog.octet_length(" + json + "::pg_catalog.text) OPERATOR(pg_catalog.<=) " + CaptureSql.MaxRowBytes + " THEN " + json +
        " ELSE pg_catalog.to_json(pg_catalog.concat('the row is ', pg_catalog.octet_length(" + json + "::pg_catalog.text), ' bytes of JSON; capture records rows of up to " +
        CaptureSql.MaxRowBytes + " bytes')) END";

    private static string NoteOf(string problem) => "pg_catalog.to_json(pg_catalog.concat('capture could not read the row: ', " + problem + "))";

    private static string SelectList(string row, IReadOnlyList<CapturedColumn> columns)
    {
        var list = new StringBuilder();
        foreach (var column in columns)
        {
            if (list.Length > 0)
            {
                list.Append(", ");
            }

            var value = row + "." + CaptureSql.QuoteIdentifier(column.Name);
            list.Append(column.Capture switch
            {
                ColumnCapture.Base64 => "pg_catalog.translate(pg_catalog.encode(" + value + ", 'base64'), E'\\n', '')",
                ColumnCapture.EpochSeconds => "extract(epoch FROM " + value + ")",
                _ => value,
            });
            list.Append(" AS ").Append(CaptureSql.QuoteIdentifier(column.Name));
        }

        return list.ToString();
    }
}
