// Compiled into both the runtime and the source generator, like CaptureSql.cs: keep it netstandard2.0-compatible.
using System.Collections.Generic;
using System.Text;

namespace AblyPgTyped.Capture;

/// <summary>The PL/pgSQL body of one table's capture function for one operation.</summary>
/// <remarks>
/// <para>
/// The function must never make the user's statement fail. Reading the mapped columns is the one step a schema
/// change can break (a renamed or dropped column is an error when the statement is planned), so it runs in its own
/// block: on <c>undefined_column</c>, or on a row too large to render at all, each captured row is recorded as a
/// JSON string saying why — a note, where a row is always an object — and the connector dead-letters it with that
/// reason. The block only reads, so its subtransaction takes no transaction id (many of them in one transaction
/// would otherwise overflow the snapshot's subtransaction cache). The store is written outside it.
/// </para>
/// <para>
/// No user column is ever referenced unqualified, and no variable is referenced where a user column is in scope,
/// so no column name can shadow or be shadowed by the function's own names (<c>n</c>, <c>r</c>, <c>data</c>, …).
/// The table's mapped name is written into the body, so a partition's row trigger records its parent's name.
/// </para>
/// </remarks>
internal sealed class TriggerBody
{
    private const string Problem = "ablypg_problem";
    private const string Count = "ablypg_count";
    private const string Data = "ablypg_data";

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
        _table = table;
        _op = op;
    }

    public override string ToString()
    {
        var body = new StringBuilder()
            .Append("DECLARE\n")
            .Append("    ").Append(Count).Append(" bigint;\n")
            .Append("    ").Append(Data).Append(" json;\n")
            .Append("    ").Append(Problem).Append(" text;\n")
            .Append("BEGIN\n");
        if (_op == 'U')
        {
            AppendRowLevel(body, "    ");
        }
        else
        {
            // Row level on partitioned tables (see CaptureSql.AppendOperation), statement level otherwise.
            body.Append("    IF TG_LEVEL = 'ROW' THEN\n");
            AppendRowLevel(body, "        ");
            body.Append("    ELSE\n");
            AppendStatementLevel(body, "        ");
            body.Append("    END IF;\n");
        }

        return body
            // The first writer to find the flag armed disarms it and notifies; SKIP LOCKED keeps writers from waiting on
            // each other for it, and the connector never waits on it either (see TriggerCaptureSource).
            .Append("    IF (SELECT w.armed FROM ").Append(_wakeup).Append(" w) THEN\n")
            .Append("        PERFORM 1 FROM ").Append(_wakeup).Append(" w WHERE w.armed FOR UPDATE SKIP LOCKED;\n")
            .Append("        IF FOUND THEN\n")
            .Append("            UPDATE ").Append(_wakeup).Append(" SET armed = false;\n")
            .Append("            PERFORM pg_notify(").Append(CaptureSql.QuoteLiteral(_notifyChannel)).Append(", '');\n")
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
            _ => "json_build_array(" + Guarded(RowOf("OLD")) + ", " + Guarded(RowOf("NEW")) + ")",
        };
        var note = _op == 'U' ? "json_build_array(" + NoteOf("SQLERRM") + ", " + NoteOf("SQLERRM") + ")" : NoteOf("SQLERRM");

        body.Append(indent).Append("BEGIN\n")
            .Append(indent).Append("    ").Append(Data).Append(" := ").Append(value).Append(";\n")
            .Append(indent).Append("EXCEPTION WHEN undefined_column OR program_limit_exceeded THEN\n")
            .Append(indent).Append("    ").Append(Data).Append(" := ").Append(note).Append(";\n")
            .Append(indent).Append("END;\n")
            .Append(indent).Append("INSERT INTO ").Append(_changes).Append(" (table_schema, table_name, op, n, data)\n")
            .Append(indent).Append("VALUES (").Append(Origin()).Append(", 1, json_build_array(").Append(Data).Append("));\n");
    }

    private void AppendStatementLevel(StringBuilder body, string indent)
    {
        var limit = CaptureSql.SmallStatementRows + 1;
        body.Append(indent).Append("BEGIN\n")
            .Append(indent).Append("    SELECT count(*), json_agg(g.j) INTO ").Append(Count).Append(", ").Append(Data).Append('\n')
            .Append(indent).Append("    FROM (SELECT ").Append(Guard("r.j")).Append(" FROM (").Append(Rows()).Append(" LIMIT ").Append(limit).Append(") r(j)) g(j);\n")
            .Append(indent).Append("EXCEPTION WHEN undefined_column OR program_limit_exceeded THEN\n")
            .Append(indent).Append("    ").Append(Problem).Append(" := SQLERRM;\n")
            .Append(indent).Append("END;\n")
            .Append(indent).Append("IF ").Append(Problem).Append(" IS NOT NULL THEN\n")
            .Append(indent).Append("    SELECT count(*) INTO ").Append(Count).Append(" FROM ").Append(CaptureSql.TransitionTable).Append(";\n")
            .Append(indent).Append("    INSERT INTO ").Append(_changes).Append(" (table_schema, table_name, op, n, data)\n")
            .Append(indent).Append("    SELECT ").Append(Origin()).Append(", count(*), json_agg(").Append(NoteOf(Problem)).Append(")\n")
            .Append(indent).Append("    FROM generate_series(0, ").Append(Count).Append(" - 1) s(i)\n")
            .Append(indent).Append("    GROUP BY s.i / ").Append(CaptureSql.ChunkSize).Append('\n')
            .Append(indent).Append("    ORDER BY s.i / ").Append(CaptureSql.ChunkSize).Append(";\n")
            .Append(indent).Append("ELSIF ").Append(Count).Append(" BETWEEN 1 AND ").Append(CaptureSql.SmallStatementRows).Append(" THEN\n")
            .Append(indent).Append("    INSERT INTO ").Append(_changes).Append(" (table_schema, table_name, op, n, data)\n")
            .Append(indent).Append("    VALUES (").Append(Origin()).Append(", ").Append(Count).Append(", ").Append(Data).Append(");\n")
            .Append(indent).Append("ELSIF ").Append(Count).Append(" > ").Append(CaptureSql.SmallStatementRows).Append(" THEN\n");

        // Larger statements are cut into store rows of at most ChunkSize changes and about ChunkBytes of JSON. The
        // window has no ORDER BY, so it numbers and sums rows in the order they are read, without a sort; the two
        // chunk numbers never decrease along that order, so grouping by both keeps each chunk contiguous. OFFSET 0
        // renders each row once (see Guard).
        body.Append(indent).Append("    INSERT INTO ").Append(_changes).Append(" (table_schema, table_name, op, n, data)\n")
            .Append(indent).Append("    SELECT ").Append(Origin()).Append(", count(*), json_agg(c.j ORDER BY c.i)\n")
            .Append(indent).Append("    FROM (SELECT w.j, w.i, (w.i - 1) / ").Append(CaptureSql.ChunkSize).Append(" AS by_rows, (w.upto - w.len) / ").Append(CaptureSql.ChunkBytes).Append(" AS by_bytes\n")
            .Append(indent).Append("          FROM (SELECT g.j, octet_length(g.j::text) AS len, row_number() OVER x AS i, sum(octet_length(g.j::text)) OVER x AS upto\n")
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
        ? "SELECT to_json(t.*) FROM " + CaptureSql.TransitionTable + " t"
        : "SELECT to_json(p.*) FROM (SELECT " + SelectList("t", _table.Columns) + " FROM " + CaptureSql.TransitionTable + " t) p";

    /// <summary>
    /// An expression rendering the row of table alias <paramref name="alias"/> exactly as the triggers render it (the
    /// mapped columns, or the whole row), for a backfill's snapshots.
    /// </summary>
    internal static string RowJson(string alias, TableCapture table) => table.Columns is null
        ? "to_json(" + alias + ".*)"
        : "(SELECT to_json(p.*) FROM (SELECT " + SelectList(alias, table.Columns) + ") p)";

    /// <summary>A scalar subquery rendering one row variable (<c>NEW</c> or <c>OLD</c>).</summary>
    private string RowOf(string variable) => _table.Columns is null
        ? "(SELECT to_json(" + variable + "))"
        : "(SELECT to_json(p.*) FROM (SELECT " + SelectList(variable, _table.Columns) + ") p)";

    /// <summary>A scalar subquery: <paramref name="row"/>, or a note of its size when it is larger than capture records.</summary>
    private static string Guarded(string row) => "(SELECT " + Guard("r.j") + " FROM (SELECT " + row + " OFFSET 0) r(j))";

    /// <remarks>
    /// It names its argument three times: every subquery it reads from ends in <c>LIMIT</c> or <c>OFFSET 0</c>, which
    /// keeps the planner from pulling the subquery up and rendering the row once per mention.
    /// </remarks>
    private static string Guard(string json) =>
        "CASE WHEN octet_length(" + json + "::text) <= " + CaptureSql.MaxRowBytes + " THEN " + json +
        " ELSE to_json('the row is ' || octet_length(" + json + "::text) || ' bytes of JSON; capture records rows of up to " +
        CaptureSql.MaxRowBytes + " bytes') END";

    private static string NoteOf(string problem) => "to_json('capture could not read the row: ' || " + problem + ")";

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
                ColumnCapture.Base64 => "translate(encode(" + value + ", 'base64'), E'\\n', '')",
                ColumnCapture.EpochSeconds => "extract(epoch FROM " + value + ")",
                _ => value,
            });
            list.Append(" AS ").Append(CaptureSql.QuoteIdentifier(column.Name));
        }

        return list.ToString();
    }
}
