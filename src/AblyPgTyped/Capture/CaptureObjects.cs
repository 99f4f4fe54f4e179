using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace AblyPgTyped.Capture;

/// <summary>
/// The objects the connector creates in its capture schema, and how to find any other: the store's tables (with the
/// sequences, indexes and row types they imply) and the capture functions. Anything else in the schema belongs to
/// someone else; the connector then refuses the schema and never drops it.
/// </summary>
internal static class CaptureObjects
{
    /// <summary>Every capture function's name starts with this (see <see cref="CaptureSql.FunctionName"/>).</summary>
    public const string FunctionPrefix = "capture_";

    /// <summary>The store's tables: those <see cref="CaptureSql.InstallStore"/> creates, and the ones every version has had.</summary>
    public static IReadOnlyList<string> StoreTables(string captureSchema) =>
        new[] { CaptureSql.ChangesTable, CaptureSql.WakeupTable, CaptureSql.MappingsTable, CaptureSql.StateTable, CaptureSql.DeadLettersTable }
            .Concat(CaptureDdl.Parse(CaptureSql.InstallStore(captureSchema)).Tables.Where(t => t.Schema == captureSchema).Select(t => t.Name))
            .Distinct(StringComparer.Ordinal)
            .ToArray();

    /// <summary>Functions the store itself creates (none today; the capture functions are recognised by their prefix).</summary>
    public static IReadOnlyList<string> StoreFunctions(string captureSchema) =>
        CaptureDdl.Parse(CaptureSql.InstallStore(captureSchema)).Functions.Keys.Where(f => f.Schema == captureSchema).Select(f => f.Name).ToArray();

    /// <summary>Whether <paramref name="function"/>, in the capture schema, is one the connector creates.</summary>
    public static bool IsCaptureFunction(string captureSchema, string function) =>
        function.StartsWith(FunctionPrefix, StringComparison.Ordinal) || StoreFunctions(captureSchema).Contains(function, StringComparer.Ordinal);

    /// <summary>
    /// The objects in <paramref name="captureSchema"/> that the connector did not create, as "table orders",
    /// "function f(integer)" and so on (at most <paramref name="limit"/>); empty when the schema is the connector's alone
    /// or does not exist. Reads only the catalog, so it needs no privilege on the schema.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ForeignAsync(NpgsqlConnection connection, string captureSchema, int limit, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(ForeignObjectsSql, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = captureSchema });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = StoreTables(captureSchema).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = StoreFunctions(captureSchema).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var objects = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            objects.Add(reader.GetString(0) + " " + CaptureSql.QualifiedName(captureSchema, reader.GetString(1)) + reader.GetString(2));
        }

        return objects;
    }

    /// <summary>
    /// DDL that removes what the connector installed, and nothing else: the capture triggers (those that run a capture
    /// function), the capture functions and the store's tables, then the schema only if it is then empty. Nothing is
    /// dropped with CASCADE: an object of someone else's that depends on one of these stops the removal instead.
    /// </summary>
    public static string UninstallSql(string captureSchema)
    {
        var tables = string.Join(", ", StoreTables(captureSchema).Select(t => CaptureSql.QualifiedName(captureSchema, t)));
        var storeFunctions = string.Join(", ", StoreFunctions(captureSchema).Select(CaptureSql.QuoteLiteral));
        var body =
            "DECLARE\n" +
            "    capture oid;\n" +
            "    r record;\n" +
            "BEGIN\n" +
            "    SELECT oid INTO capture FROM pg_catalog.pg_namespace WHERE nspname = " + CaptureSql.QuoteLiteral(captureSchema) + ";\n" +
            "    IF capture IS NULL THEN\n" +
            "        RETURN;\n" +
            "    END IF;\n" +
            "    FOR r IN SELECT t.tgname, t.tgrelid::regclass AS rel FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid\n" +
            "             WHERE p.pronamespace = capture AND NOT t.tgisinternal AND " + CaptureFunctionCondition("p.proname", storeFunctions) + " LOOP\n" +
            "        EXECUTE format('DROP TRIGGER %I ON %s', r.tgname, r.rel);\n" +
            "    END LOOP;\n" +
            "    FOR r IN SELECT p.oid::regprocedure AS fn FROM pg_catalog.pg_proc p\n" +
            "             WHERE p.pronamespace = capture AND " + CaptureFunctionCondition("p.proname", storeFunctions) + " LOOP\n" +
            "        EXECUTE format('DROP FUNCTION %s', r.fn);\n" +
            "    END LOOP;\n" +
            "    DROP TABLE IF EXISTS " + tables + ";\n" +
            "    BEGIN\n" +
            "        DROP SCHEMA " + CaptureSql.QuoteIdentifier(captureSchema) + ";\n" +
            "    EXCEPTION WHEN dependent_objects_still_exist THEN\n" +
            "        RAISE NOTICE 'capture schema % kept: it holds objects the connector did not create', " + CaptureSql.QuoteLiteral(captureSchema) + ";\n" +
            "    END;\n" +
            "END\n";
        var tag = DollarQuote.TagFor(body);
        return "DO " + tag + "\n" + body + tag + ";\n";
    }

    private static string CaptureFunctionCondition(string column, string storeFunctions) =>
        "(" + column + " LIKE '" + FunctionPrefix.Replace("_", "\\_", StringComparison.Ordinal) + "%'" +
        (storeFunctions.Length > 0 ? " OR " + column + " IN (" + storeFunctions + ")" : "") + ")";

    // $1 schema, $2 the store's tables, $3 the store's functions, $4 the most rows to return.
    // The store's own relations are its tables; indexes, the sequences a table's columns own, the row types of relations
    // and the array types of other types come with the objects they belong to, so they are not listed on their own.
    // Every other object in the schema is foreign.
    private static readonly string ForeignObjectsSql = $$"""
        WITH s AS (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1),
        store AS (SELECT c.oid FROM pg_catalog.pg_class c, s WHERE c.relnamespace = s.oid AND c.relkind IN ('r', 'p') AND c.relname = ANY($2))
        SELECT kind, name, suffix FROM (
            SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                                  WHEN 'S' THEN 'sequence' WHEN 'i' THEN 'index' WHEN 'I' THEN 'index' WHEN 'f' THEN 'foreign table'
                                  WHEN 'c' THEN 'type' ELSE 'relation' END AS kind, c.relname::text AS name, '' AS suffix
            FROM pg_catalog.pg_class c, s
            WHERE c.relnamespace = s.oid
              AND c.oid NOT IN (SELECT oid FROM store)
              AND c.relkind NOT IN ('i', 'I')
              AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass
                       AND d.objid = c.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i')))
            UNION ALL
            SELECT 'function', p.proname::text, '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')'
            FROM pg_catalog.pg_proc p, s
            WHERE p.pronamespace = s.oid AND p.proname NOT LIKE '{{FunctionPrefix.Replace("_", "\\_", StringComparison.Ordinal)}}%' AND p.proname <> ALL ($3)
            UNION ALL
            SELECT 'type', t.typname::text, '' FROM pg_catalog.pg_type t, s
            WHERE t.typnamespace = s.oid AND t.typrelid = 0 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.typarray = t.oid)
            UNION ALL SELECT 'operator', o.oprname::text, '' FROM pg_catalog.pg_operator o, s WHERE o.oprnamespace = s.oid
            UNION ALL SELECT 'operator class', o.opcname::text, '' FROM pg_catalog.pg_opclass o, s WHERE o.opcnamespace = s.oid
            UNION ALL SELECT 'operator family', o.opfname::text, '' FROM pg_catalog.pg_opfamily o, s WHERE o.opfnamespace = s.oid
            UNION ALL SELECT 'collation', o.collname::text, '' FROM pg_catalog.pg_collation o, s WHERE o.collnamespace = s.oid
            UNION ALL SELECT 'conversion', o.conname::text, '' FROM pg_catalog.pg_conversion o, s WHERE o.connamespace = s.oid
            UNION ALL SELECT 'statistics object', o.stxname::text, '' FROM pg_catalog.pg_statistic_ext o, s WHERE o.stxnamespace = s.oid
            UNION ALL SELECT 'text search configuration', o.cfgname::text, '' FROM pg_catalog.pg_ts_config o, s WHERE o.cfgnamespace = s.oid
            UNION ALL SELECT 'text search dictionary', o.dictname::text, '' FROM pg_catalog.pg_ts_dict o, s WHERE o.dictnamespace = s.oid
            UNION ALL SELECT 'text search parser', o.prsname::text, '' FROM pg_catalog.pg_ts_parser o, s WHERE o.prsnamespace = s.oid
            UNION ALL SELECT 'text search template', o.tmplname::text, '' FROM pg_catalog.pg_ts_template o, s WHERE o.tmplnamespace = s.oid
            UNION ALL SELECT 'extension', o.extname::text, '' FROM pg_catalog.pg_extension o, s WHERE o.extnamespace = s.oid
        ) foreign_objects
        ORDER BY kind, name
        LIMIT $4
        """;
}
