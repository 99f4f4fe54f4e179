using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace AblyPgTyped.Capture;

/// <summary>
/// The complete install, as one script: the store, every mapping's triggers, the removal of capture for tables no longer
/// mapped, and the record of the mappings. The connector runs exactly this in its install transaction, and
/// <c>ablypg sql</c> prints it for a DBA, so an install applied by hand is the same install, and a connector that finds
/// it in place has nothing to do (<see cref="InstalledCapture"/>).
/// </summary>
internal static class CaptureInstallScript
{
    /// <summary>The <c>state</c> key holding <see cref="StoreDigest"/> of the store DDL that was installed.</summary>
    public const string StoreDigestKey = "store_ddl_digest";

    /// <summary>The statements, to run inside a transaction.</summary>
    /// <param name="captureSchema">The capture schema.</param>
    /// <param name="install">Mappings whose tables exist: their triggers are installed.</param>
    /// <param name="keep">Mappings whose tables are gone for now: their functions and records are kept as they are.</param>
    public static string Statements(string captureSchema, IReadOnlyList<ChangeMapping> install, IReadOnlyList<ChangeMapping> keep)
    {
        var sql = new StringBuilder();
        sql.Append("SET LOCAL lock_timeout = '30s';\n")
           .Append("SELECT pg_advisory_xact_lock(").Append(CaptureSql.InstallLockKey(captureSchema).ToString(CultureInfo.InvariantCulture)).Append(");\n\n")
           .Append(CaptureSql.InstallStore(captureSchema)).Append('\n');

        var functions = install.Concat(keep).SelectMany(m => CaptureDdl.FunctionNames(captureSchema, m)).ToArray();
        sql.Append("-- Remove the capture of tables no longer mapped: their capture triggers and functions, nothing else.\n")
           .Append(DropOtherCaptureFunctions(captureSchema, functions)).Append('\n');
        foreach (var mapping in install)
        {
            sql.Append(CaptureSql.InstallTable(captureSchema, mapping.Capture)).Append('\n');
        }

        var mappingsTable = CaptureSql.QualifiedName(captureSchema, CaptureSql.MappingsTable);
        sql.Append("-- Record what is installed: a connector that finds exactly this in place runs no DDL.\n")
           .Append("DELETE FROM ").Append(mappingsTable).Append(";\n");
        var rows = MappingRows(install.Concat(keep)).ToList();
        if (rows.Count > 0)
        {
            sql.Append("INSERT INTO ").Append(mappingsTable).Append(" (table_schema, table_name, operation, channel, row_type) VALUES\n")
               .Append(string.Join(",\n", rows.Select(r =>
                   "    (" + string.Join(", ", new[] { r.Schema, r.Table, r.Operation, r.Channel, r.RowType }.Select(CaptureSql.QuoteLiteral)) + ")")))
               .Append(";\n");
        }

        sql.Append("INSERT INTO ").Append(CaptureSql.QualifiedName(captureSchema, CaptureSql.StateTable))
           .Append(" (key, value) VALUES (").Append(CaptureSql.QuoteLiteral(StoreDigestKey)).Append(", ").Append(CaptureSql.QuoteLiteral(StoreDigest(captureSchema)))
           .Append(")\nON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;\n");
        return sql.ToString();
    }

    /// <summary>The script for a DBA: <see cref="Statements"/> in a transaction of its own.</summary>
    public static string ForReview(string captureSchema, IReadOnlyList<ChangeMapping> mappings) =>
        "-- AblyPgTyped capture for schema " + CaptureSql.QuoteIdentifier(captureSchema) + ". Apply as the database owner, or as a role with\n" +
        "-- CREATE on the database and TRIGGER on the mapped tables; the connector itself then needs only `ablypg grants`.\n" +
        "BEGIN;\n\n" + Statements(captureSchema, mappings, []) + "\nCOMMIT;\n";

    /// <summary>What the mappings table records: one row per captured operation.</summary>
    public static IEnumerable<MappingRow> MappingRows(IEnumerable<ChangeMapping> mappings) =>
        mappings.SelectMany(m => new[] { ChangeKind.Insert, ChangeKind.Update, ChangeKind.Delete }
            .Where(k => m.ChannelTemplate(k) is not null)
            .Select(k => new MappingRow(m.Schema, m.TableName, ChangeMessage.NameOf(k), m.ChannelTemplate(k)!, m.RowType)));

    /// <summary>A digest of the store's DDL: another connector version, or another capture schema, gives another.</summary>
    public static string StoreDigest(string captureSchema) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(CaptureSql.InstallStore(captureSchema))))[..32].ToLowerInvariant();

    /// <summary>
    /// Removes the capture of tables no longer mapped: every capture function not in <paramref name="functions"/>, and the
    /// triggers that run it. Only capture triggers and functions are dropped, never with CASCADE.
    /// </summary>
    public static string DropOtherCaptureFunctions(string captureSchema, IReadOnlyList<string> functions)
    {
        var keep = functions.Count == 0 ? "ARRAY[]::text[]" : "ARRAY[" + string.Join(", ", functions.Select(CaptureSql.QuoteLiteral)) + "]::text[]";
        var body =
            "DECLARE\n" +
            "    r record;\n" +
            "BEGIN\n" +
            "    FOR r IN SELECT t.tgname, t.tgrelid::regclass AS rel FROM pg_catalog.pg_trigger t\n" +
            "             JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace\n" +
            "             WHERE n.nspname = " + CaptureSql.QuoteLiteral(captureSchema) + " AND NOT t.tgisinternal\n" +
            "               AND p.proname LIKE '" + LikePrefix + "%' AND p.proname <> ALL (" + keep + ") LOOP\n" +
            "        EXECUTE format('DROP TRIGGER %I ON %s', r.tgname, r.rel);\n" +
            "    END LOOP;\n" +
            "    FOR r IN SELECT p.oid::regprocedure AS fn FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace\n" +
            "             WHERE n.nspname = " + CaptureSql.QuoteLiteral(captureSchema) + "\n" +
            "               AND p.proname LIKE '" + LikePrefix + "%' AND p.proname <> ALL (" + keep + ") LOOP\n" +
            "        EXECUTE format('DROP FUNCTION %s', r.fn);\n" +
            "    END LOOP;\n" +
            "END\n";
        var tag = DollarQuote.TagFor(body);
        return "DO " + tag + "\n" + body + tag + ";\n";
    }

    private static readonly string LikePrefix = CaptureObjects.FunctionPrefix.Replace("_", "\\_", StringComparison.Ordinal);
}

/// <summary>One row of the mappings table.</summary>
internal readonly record struct MappingRow(string Schema, string Table, string Operation, string Channel, string RowType);
