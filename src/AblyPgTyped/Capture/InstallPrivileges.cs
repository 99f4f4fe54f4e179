using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace AblyPgTyped.Capture;

/// <summary>
/// What installing capture needs that the current role lacks, named before any DDL runs: CREATE on the database (the
/// install creates the schema if needed), CREATE and USAGE on the capture schema, ownership of the capture functions it
/// replaces, its writes to the store's own tables, and TRIGGER on every mapped table. A privilege error that slips past
/// this (SQLSTATE 42501) is described by the object the server names.
/// </summary>
internal static partial class InstallPrivileges
{
    /// <summary>The role connected, and what it lacks to run the install script for <paramref name="install"/>.</summary>
    public static async Task<(string Role, IReadOnlyList<string> Missing)> MissingAsync(
        NpgsqlConnection connection, string captureSchema, IReadOnlyList<ChangeMapping> install, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(Sql, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = captureSchema });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = install.Select(m => m.Schema).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = install.Select(m => m.TableName).ToArray() });
        var role = "";
        var missing = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            role = reader.GetString(0);
            if (!reader.IsDBNull(1))
            {
                missing.Add(reader.GetString(1));
            }
        }

        return (role, missing.Distinct().ToList());
    }

    /// <summary>The object a 42501 error is about, from the server's message ("permission denied for table x", "must be owner of function f").</summary>
    public static string Describe(PostgresException error)
    {
        var match = DeniedPattern().Match(error.MessageText);
        return match.Success
            ? (match.Groups["owner"].Success ? "ownership of " : "the needed privilege on ") + match.Groups["kind"].Value + " " + match.Groups["name"].Value
            : error.MessageText;
    }

    [GeneratedRegex("^(?:permission denied for|(?<owner>must be owner of)) (?<kind>database|schema|table|relation|function|sequence|view) (?<name>.+)$", RegexOptions.CultureInvariant)]
    private static partial Regex DeniedPattern();

    // $1 capture schema, $2/$3 the mapped tables to install on. One row per missing privilege (and one with NULL), each
    // with the role's name. Ownership is "has the privileges of the owner", as PostgreSQL itself checks it.
    private static readonly string Sql = $$"""
        WITH s AS (SELECT oid, nspowner FROM pg_catalog.pg_namespace WHERE nspname = $1),
        store(name, privilege) AS (VALUES ('{{CaptureSql.WakeupTable}}', 'INSERT'), ('{{CaptureSql.WakeupTable}}', 'SELECT'),
                                          ('{{CaptureSql.StateTable}}', 'INSERT'), ('{{CaptureSql.StateTable}}', 'SELECT'), ('{{CaptureSql.StateTable}}', 'UPDATE'),
                                          ('{{CaptureSql.MappingsTable}}', 'SELECT'), ('{{CaptureSql.MappingsTable}}', 'INSERT'), ('{{CaptureSql.MappingsTable}}', 'DELETE')),
        missing(what) AS (
            SELECT 'CREATE on database ' || pg_catalog.quote_ident(current_database())
            WHERE NOT pg_catalog.has_database_privilege(current_database(), 'CREATE')
            UNION ALL
            SELECT p || ' on schema ' || pg_catalog.quote_ident($1)
            FROM s, unnest(ARRAY['USAGE', 'CREATE']) p
            WHERE NOT pg_catalog.has_schema_privilege(s.oid, p)
            UNION ALL
            SELECT 'ownership of function ' || pg_catalog.quote_ident($1) || '.' || pg_catalog.quote_ident(f.proname) || ' (owned by ' || pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(f.proowner)) || ')'
            FROM pg_catalog.pg_proc f, s
            WHERE f.pronamespace = s.oid AND f.proname LIKE '{{CaptureObjects.FunctionPrefix.Replace("_", "\\_", System.StringComparison.Ordinal)}}%' AND NOT pg_catalog.pg_has_role(f.proowner, 'USAGE')
            UNION ALL
            SELECT st.privilege || ' on table ' || pg_catalog.quote_ident($1) || '.' || pg_catalog.quote_ident(c.relname)
            FROM store st JOIN pg_catalog.pg_class c ON c.relname = st.name JOIN s ON c.relnamespace = s.oid
            WHERE NOT pg_catalog.has_table_privilege(c.oid, st.privilege)
            UNION ALL
            SELECT 'USAGE on schema ' || pg_catalog.quote_ident(n.nspname)
            FROM pg_catalog.pg_namespace n
            WHERE n.nspname = ANY($2) AND NOT pg_catalog.has_schema_privilege(n.oid, 'USAGE')
            UNION ALL
            SELECT 'TRIGGER on table ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
            FROM unnest($2::text[], $3::text[]) t(schema_name, table_name)
            JOIN pg_catalog.pg_namespace n ON n.nspname = t.schema_name
            JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = t.table_name
            WHERE NOT pg_catalog.has_table_privilege(c.oid, 'TRIGGER')
        )
        SELECT current_user::text, what FROM missing
        UNION ALL
        SELECT current_user::text, NULL
        """;
}
