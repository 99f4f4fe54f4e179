using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace AblyPgTyped.Capture;

/// <summary>
/// Compares what is installed with what <see cref="CaptureInstallScript"/> would install: the store, the digest of its
/// DDL, the recorded mappings, every capture function's body and every capture trigger. When nothing differs the
/// connector starts without running any DDL, which is what lets it run as a role that may only use the store.
/// Reads the catalog and the store's <c>state</c> and <c>mappings</c> tables.
/// </summary>
internal static class InstalledCapture
{
    /// <summary>Every difference found, in words; empty when installing would change nothing.</summary>
    public static async Task<IReadOnlyList<string>> DifferencesAsync(
        NpgsqlConnection connection, string captureSchema, IReadOnlyList<ChangeMapping> install, IReadOnlyList<ChangeMapping> keep, CancellationToken cancellationToken)
    {
        var schema = CaptureSql.QuoteIdentifier(captureSchema);
        var tables = await ListAsync(
            connection,
            "SELECT c.relname::text FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')",
            captureSchema,
            cancellationToken);
        var schemaExists = tables.Count > 0 || (await ListAsync(connection, "SELECT nspname::text FROM pg_catalog.pg_namespace WHERE nspname = $1", captureSchema, cancellationToken)).Count > 0;
        if (!schemaExists)
        {
            return [$"capture schema {schema} does not exist"];
        }

        var missingTables = CaptureObjects.StoreTables(captureSchema).Where(t => !tables.Contains(t)).ToList();
        if (missingTables.Count > 0)
        {
            return [.. missingTables.Select(t => $"table {CaptureSql.QualifiedName(captureSchema, t)} does not exist")];
        }

        var differences = new List<string>();
        await using (var command = new NpgsqlCommand($"SELECT value FROM {CaptureSql.QualifiedName(captureSchema, CaptureSql.StateTable)} WHERE key = $1", connection))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = CaptureInstallScript.StoreDigestKey });
            if (await command.ExecuteScalarAsync(cancellationToken) as string != CaptureInstallScript.StoreDigest(captureSchema))
            {
                differences.Add($"the capture store in {schema} was installed by another version of the connector");
            }
        }

        differences.AddRange(await MappingDifferencesAsync(connection, captureSchema, install.Concat(keep), cancellationToken));
        differences.AddRange(await FunctionDifferencesAsync(connection, captureSchema, install, keep, cancellationToken));
        differences.AddRange(await TriggerDifferencesAsync(connection, captureSchema, install, cancellationToken));
        return differences;
    }

    private static async Task<IEnumerable<string>> MappingDifferencesAsync(NpgsqlConnection connection, string captureSchema, IEnumerable<ChangeMapping> mappings, CancellationToken cancellationToken)
    {
        var recorded = new HashSet<MappingRow>();
        await using (var command = new NpgsqlCommand(
            $"SELECT table_schema, table_name, operation, channel, coalesce(row_type, '') FROM {CaptureSql.QualifiedName(captureSchema, CaptureSql.MappingsTable)}", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                recorded.Add(new MappingRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4)));
            }
        }

        var expected = CaptureInstallScript.MappingRows(mappings).ToHashSet();
        return expected.Except(recorded).Select(r => $"the {r.Operation}s of {CaptureSql.QualifiedName(r.Schema, r.Table)} on channel '{r.Channel}' are not recorded as installed")
            .Concat(recorded.Except(expected).Select(r => $"the {r.Operation}s of {CaptureSql.QualifiedName(r.Schema, r.Table)} on channel '{r.Channel}' are recorded but no longer mapped"));
    }

    private static async Task<IEnumerable<string>> FunctionDifferencesAsync(
        NpgsqlConnection connection, string captureSchema, IReadOnlyList<ChangeMapping> install, IReadOnlyList<ChangeMapping> keep, CancellationToken cancellationToken)
    {
        var installed = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand(
            "SELECT p.proname::text, p.prosrc FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1", connection))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = captureSchema });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                installed[reader.GetString(0)] = reader.GetString(1);
            }
        }

        var differences = new List<string>();
        var expected = new HashSet<string>(StringComparer.Ordinal);
        var dropped = new HashSet<string>(StringComparer.Ordinal);
        foreach (var mapping in install)
        {
            var ddl = CaptureDdl.Of(captureSchema, mapping);
            dropped.UnionWith(ddl.DroppedFunctions.Select(f => f.Name));
            foreach (var (function, body) in ddl.Functions)
            {
                expected.Add(function.Name);
                if (!installed.TryGetValue(function.Name, out var installedBody))
                {
                    differences.Add($"function {function.Quoted} (capture of {mapping.DisplayName}) does not exist");
                }
                else if (installedBody != body)
                {
                    differences.Add($"function {function.Quoted} (capture of {mapping.DisplayName}) differs from what these mappings install");
                }
            }

            foreach (var uncaptured in ddl.DroppedFunctions.Where(f => installed.ContainsKey(f.Name)))
            {
                differences.Add($"function {uncaptured.Quoted} captures an operation of {mapping.DisplayName} that is no longer mapped");
            }
        }

        expected.UnionWith(keep.SelectMany(m => CaptureDdl.FunctionNames(captureSchema, m)));
        expected.UnionWith(CaptureObjects.StoreFunctions(captureSchema));
        differences.AddRange(installed.Keys
            .Where(f => CaptureObjects.IsCaptureFunction(captureSchema, f) && !expected.Contains(f) && !dropped.Contains(f))
            .Order(StringComparer.Ordinal)
            .Select(f => $"function {CaptureSql.QualifiedName(captureSchema, f)} captures a table that is no longer mapped"));
        return differences;
    }

    private static async Task<IEnumerable<string>> TriggerDifferencesAsync(NpgsqlConnection connection, string captureSchema, IReadOnlyList<ChangeMapping> install, CancellationToken cancellationToken)
    {
        var installed = new HashSet<DeclaredTrigger>();
        await using (var command = new NpgsqlCommand(
            """
            SELECT t.tgname::text, tn.nspname::text, c.relname::text, pn.nspname::text, p.proname::text
            FROM pg_catalog.pg_trigger t
            JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid JOIN pg_catalog.pg_namespace tn ON tn.oid = c.relnamespace
            JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
            WHERE NOT t.tgisinternal AND pn.nspname = $1
            """,
            connection))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = captureSchema });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                installed.Add(new DeclaredTrigger(reader.GetString(0), new QualifiedName(reader.GetString(1), reader.GetString(2)), new QualifiedName(reader.GetString(3), reader.GetString(4))));
            }
        }

        return install.SelectMany(m => CaptureDdl.Of(captureSchema, m).Triggers)
            .Where(t => !installed.Contains(t))
            .Select(t => $"table {t.Table.Quoted} has no trigger {CaptureSql.QuoteIdentifier(t.Name)} running {t.Function.Quoted}");
    }

    private static async Task<List<string>> ListAsync(NpgsqlConnection connection, string sql, string parameter, CancellationToken cancellationToken)
    {
        var values = new List<string>();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = parameter });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
