using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace AblyPgTyped.Capture;

/// <summary>
/// The privileges a running connector needs, and nothing more: this list is the one place that says so. It renders the
/// GRANT script (<c>ablypg grants</c>) and is checked at start, so a missing grant is named before anything runs.
/// Installing (<c>ablypg sql</c>) needs more and is the owner's job; the mapped tables need no grant at all, since the
/// start-up checks read only the catalog.
/// </summary>
internal static class ConnectorGrants
{
    /// <summary>The store tables the connector uses, with the privileges it uses them with, and why.</summary>
    public static IReadOnlyList<TableGrant> Tables { get; } =
    [
        new(CaptureSql.ChangesTable, ["SELECT", "UPDATE", "DELETE"], "reads captured changes, blanks those published from rows not yet done, deletes done rows"),
        new(CaptureSql.DeadLettersTable, ["SELECT", "INSERT"], "records changes that cannot be published; after a restart, tells which chunks were dead-lettered"),
        new(CaptureSql.SentCutsTable, ["SELECT", "INSERT", "DELETE"], "remembers how the chunks sent were cut into messages, so a crash re-sends the same messages"),
        new(CaptureSql.MappingsTable, ["SELECT"], "checks that the installed capture matches the mappings"),
        new(CaptureSql.StateTable, ["SELECT"], "reads the installation id and the store's version"),
        new(CaptureSql.WakeupTable, ["SELECT", "UPDATE"], "arms the wake-up while idle"),
    ];

    /// <summary>
    /// The store tables that backfills use beyond <see cref="Tables"/>. They are granted by the script but not checked at
    /// start: a connector that never backfills does without them, and a backfill checks them itself.
    /// </summary>
    public static IReadOnlyList<TableGrant> BackfillTables { get; } =
    [
        new(CaptureSql.ChangesTable, ["INSERT"], "records a backfill's chunks (logical replication: deletes each again at once)"),
        new(CaptureSql.BackfillsTable, ["SELECT", "INSERT", "UPDATE"], "records backfills, runs them and reports their progress"),
    ];

    /// <summary>
    /// The GRANT script for <paramref name="role"/>; <paramref name="database"/> null leaves out CONNECT. The grants a
    /// backfill needs on <paramref name="tables"/> are written as comments: they let the role update those tables, which
    /// least privilege leaves to the DBA's choice.
    /// </summary>
    public static string Script(string? database, string captureSchema, string role, IReadOnlyList<(string Schema, string Table)> tables)
    {
        var grantee = CaptureSql.QuoteIdentifier(role);
        var sql = new StringBuilder()
            .Append("-- Least privilege for the connector role ").Append(grantee).Append(": it uses the capture store in ")
            .Append(CaptureSql.QuoteIdentifier(captureSchema)).Append(" and creates nothing.\n")
            .Append("-- Apply as the owner, after the install DDL (ablypg sql). Every connector of this capture schema should run as\n")
            .Append("-- this role: a standby then sees the active connector's session and may end it when it goes silent.\n");
        if (database is not null)
        {
            sql.Append("GRANT CONNECT ON DATABASE ").Append(CaptureSql.QuoteIdentifier(database)).Append(" TO ").Append(grantee).Append(";\n");
        }

        sql.Append("GRANT USAGE ON SCHEMA ").Append(CaptureSql.QuoteIdentifier(captureSchema)).Append(" TO ").Append(grantee).Append(";\n");
        foreach (var table in Tables.Concat(BackfillTables))
        {
            sql.Append("GRANT ").Append(string.Join(", ", table.Privileges)).Append(" ON TABLE ")
               .Append(CaptureSql.QualifiedName(captureSchema, table.Table)).Append(" TO ").Append(grantee).Append(";   -- ").Append(table.Why).Append('\n');
        }

        if (tables.Count > 0)
        {
            sql.Append("-- To let this role backfill a table (ablypg backfill), also grant it SELECT and UPDATE on the table: a backfill reads\n")
               .Append("-- the rows FOR SHARE, which PostgreSQL allows only to a role that may update them (UPDATE on one column is enough).\n")
               .Append("-- The connector never updates the table.\n");
            foreach (var (schema, table) in tables.Distinct())
            {
                sql.Append("-- ").Append(TableGrantSql(schema, table, role)).Append('\n');
            }
        }

        return sql.ToString();
    }

    /// <summary>The grant that lets <paramref name="role"/> read a table's rows FOR SHARE, as a backfill does.</summary>
    public static string TableGrantSql(string schema, string table, string role) =>
        $"GRANT SELECT, UPDATE ON TABLE {CaptureSql.QualifiedName(schema, table)} TO {CaptureSql.QuoteIdentifier(role)};";

    /// <summary>
    /// The grants of <paramref name="tables"/> (by default <see cref="Tables"/>) the current role lacks, as "DELETE on
    /// table "ablypg"."changes"", among those on store tables that exist. Privileges are checked by oid, so a missing USAGE
    /// on the schema does not stop the check itself.
    /// </summary>
    public static async Task<IReadOnlyList<string>> MissingAsync(
        NpgsqlConnection connection, string captureSchema, CancellationToken cancellationToken, IReadOnlyList<TableGrant>? tables = null)
    {
        var pairs = (tables ?? Tables).SelectMany(t => t.Privileges.Select(p => (t.Table, Privilege: p))).ToArray();
        await using var command = new NpgsqlCommand(
            """
            WITH s AS (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1)
            SELECT 'USAGE', 'schema', NULL FROM s WHERE NOT pg_catalog.has_schema_privilege(s.oid, 'USAGE')
            UNION ALL
            SELECT u.privilege, 'table', u.name
            FROM unnest($2::text[], $3::text[]) WITH ORDINALITY u(name, privilege, n)
            JOIN pg_catalog.pg_class c ON c.relname = u.name AND c.relnamespace = (SELECT oid FROM s)
            WHERE NOT pg_catalog.has_table_privilege(c.oid, u.privilege)
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = captureSchema });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = pairs.Select(p => p.Table).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = pairs.Select(p => p.Privilege).ToArray() });
        var missing = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            missing.Add(reader.GetString(1) == "schema"
                ? $"USAGE on schema {CaptureSql.QuoteIdentifier(captureSchema)}"
                : $"{reader.GetString(0)} on table {CaptureSql.QualifiedName(captureSchema, reader.GetString(2))}");
        }

        return missing;
    }
}

/// <summary>One store table the connector uses, and how.</summary>
internal sealed record TableGrant(string Table, string[] Privileges, string Why);
