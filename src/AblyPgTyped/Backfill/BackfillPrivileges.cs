using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using Npgsql;

namespace AblyPgTyped.Backfilling;

/// <summary>
/// What a backfill needs of a role beyond the connector's grants, named with the GRANT that gives it, before a statement
/// could fail with a bare "permission denied": the store's backfill grants (<see cref="ConnectorGrants.BackfillTables"/>),
/// and SELECT and UPDATE on the table, since PostgreSQL lets a role read rows <c>FOR SHARE</c> only if it may update them.
/// </summary>
internal static class BackfillPrivileges
{
    /// <summary>Why the current role may not backfill the table, with what to run; null when it may.</summary>
    public static async Task<string?> ProblemAsync(NpgsqlConnection connection, string captureSchema, string schema, string table, CancellationToken cancellationToken)
    {
        var missing = new List<string>(await ConnectorGrants.MissingAsync(connection, captureSchema, cancellationToken, ConnectorGrants.BackfillTables));
        var qualified = CaptureSql.QualifiedName(schema, table);
        string role;
        await using (var command = new NpgsqlCommand(
            "SELECT current_user::text, coalesce(pg_catalog.has_table_privilege(c.oid, 'SELECT'), true), coalesce(pg_catalog.has_any_column_privilege(c.oid, 'UPDATE'), true) " +
            "FROM (SELECT pg_catalog.to_regclass($1) AS oid) c", connection))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = qualified });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            role = reader.GetString(0);
            if (!reader.GetBoolean(1))
            {
                missing.Add($"SELECT on table {qualified}");
            }

            if (!reader.GetBoolean(2))
            {
                missing.Add($"UPDATE on table {qualified}");
            }
        }

        if (missing.Count == 0)
        {
            return null;
        }

        var toRun = new List<string>();
        if (missing.Any(m => m.EndsWith(" on table " + qualified, System.StringComparison.Ordinal)))
        {
            toRun.Add(ConnectorGrants.TableGrantSql(schema, table, role) + " (a backfill reads the rows FOR SHARE, which PostgreSQL allows only to a role that may update them; the connector never updates the table)");
        }

        if (missing.Any(m => !m.EndsWith(" on table " + qualified, System.StringComparison.Ordinal)))
        {
            toRun.Add($"the output of `ablypg grants --role {role}` (ConnectorOptions.GetGrantSql in code), which holds the store's backfill grants");
        }

        return $"role {CaptureSql.QuoteIdentifier(role)} may not backfill {qualified}: it lacks {string.Join(", ", missing)}. Run as the owner: {string.Join("; and ", toRun)}";
    }
}
