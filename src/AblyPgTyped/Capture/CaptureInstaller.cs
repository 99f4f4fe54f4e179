using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace AblyPgTyped.Capture;

/// <summary>
/// Installs or reconciles, in one transaction: the capture store, the control table, and every mapping's triggers.
/// Triggers of mappings that left the configuration are dropped, as the Node.js original does.
/// </summary>
internal static class CaptureInstaller
{
    /// <summary>Installs everything and returns the installation's id, which prefixes every message id.</summary>
    /// <exception cref="CaptureInstallException">A mapping does not fit its table; nothing was changed.</exception>
    public static async Task<string> InstallAsync(NpgsqlConnection connection, string captureSchema, IReadOnlyList<ChangeMapping> mappings, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Bounded waits: creating a trigger needs a lock that a long-running writer could hold.
        await ExecuteAsync(connection, "SET LOCAL lock_timeout = '30s'", cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({CaptureSql.InstallLockKey(captureSchema)})", cancellationToken);
        await ExecuteAsync(connection, CaptureSql.InstallStore(captureSchema), cancellationToken);
        await ValidateAsync(connection, mappings, cancellationToken);

        var mappingsTable = CaptureSql.QualifiedName(captureSchema, CaptureSql.MappingsTable);
        var sql = new StringBuilder();
        foreach (var (schema, table) in await InstalledTablesAsync(connection, mappingsTable, cancellationToken))
        {
            if (!mappings.Any(m => m.Schema == schema && m.TableName == table))
            {
                sql.Append(CaptureSql.UninstallTable(captureSchema, schema, table));
            }
        }

        foreach (var mapping in mappings)
        {
            sql.Append(CaptureSql.InstallTable(captureSchema, mapping.Capture));
        }

        if (sql.Length > 0)
        {
            await ExecuteAsync(connection, sql.ToString(), cancellationToken);
        }

        await RecordMappingsAsync(connection, mappingsTable, mappings, cancellationToken);
        await using var idCommand = new NpgsqlCommand(
            $"SELECT value FROM {CaptureSql.QualifiedName(captureSchema, CaptureSql.StateTable)} WHERE key = 'install_id'", connection);
        var installId = (string)(await idCommand.ExecuteScalarAsync(cancellationToken))!;
        await transaction.CommitAsync(cancellationToken);
        return installId;
    }

    /// <summary>Removes the capture schema, its tables and every trigger it installed.</summary>
    public static async Task UninstallAsync(NpgsqlConnection connection, string captureSchema, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, "SET LOCAL lock_timeout = '30s'", cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({CaptureSql.InstallLockKey(captureSchema)})", cancellationToken);
        await ExecuteAsync(connection, CaptureSql.UninstallStore(captureSchema), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Every mapped table must exist, be a table, and have every mapped column in a compatible type.</summary>
    internal static async Task ValidateAsync(NpgsqlConnection connection, IReadOnlyList<ChangeMapping> mappings, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        foreach (var mapping in mappings)
        {
            var qualified = CaptureSql.QualifiedName(mapping.Schema, mapping.TableName);
            await using var command = new NpgsqlCommand(
                """
                SELECT c.relkind::text, a.attname, t.typname
                FROM pg_catalog.pg_class c
                LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
                WHERE c.oid = to_regclass($1)
                """,
                connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = qualified });
            string? kind = null;
            var columns = new Dictionary<string, string>(StringComparer.Ordinal);
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    kind = reader.GetString(0);
                    if (!reader.IsDBNull(1))
                    {
                        columns[reader.GetString(1)] = reader.GetString(2);
                    }
                }
            }

            if (kind is null)
            {
                problems.Add($"table {qualified} (mapped by {mapping.MappedBy}) does not exist");
                continue;
            }

            if (kind is not ("r" or "p"))
            {
                problems.Add($"{qualified} (mapped by {mapping.MappedBy}) is not a table; triggers capture tables only");
                continue;
            }

            foreach (var column in mapping.Columns ?? [])
            {
                if (!columns.TryGetValue(column.Name, out var type))
                {
                    problems.Add($"table {qualified} has no column \"{column.Name}\" (mapped by {mapping.MappedBy}.{column.Property})");
                }
                else if (column.Capture == ColumnCapture.Base64 && type != "bytea")
                {
                    problems.Add($"column \"{column.Name}\" of {qualified} is {type}, but {mapping.MappedBy}.{column.Property} is byte[], which needs bytea");
                }
                else if (column.Capture == ColumnCapture.EpochSeconds && type is not ("interval" or "time"))
                {
                    problems.Add($"column \"{column.Name}\" of {qualified} is {type}, but {mapping.MappedBy}.{column.Property} is TimeSpan, which needs interval");
                }
            }
        }

        if (problems.Count > 0)
        {
            throw new CaptureInstallException("Capture was not installed: " + string.Join("; ", problems) + ".");
        }
    }

    internal static async Task<List<(string Schema, string Table)>> InstalledTablesAsync(NpgsqlConnection connection, string mappingsTable, CancellationToken cancellationToken)
    {
        var tables = new List<(string, string)>();
        await using var command = new NpgsqlCommand($"SELECT DISTINCT table_schema, table_name FROM {mappingsTable}", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            tables.Add((reader.GetString(0), reader.GetString(1)));
        }

        return tables;
    }

    internal static async Task RecordMappingsAsync(NpgsqlConnection connection, string mappingsTable, IReadOnlyList<ChangeMapping> mappings, CancellationToken cancellationToken)
    {
        var rows = mappings
            .SelectMany(m => new[] { ChangeKind.Insert, ChangeKind.Update, ChangeKind.Delete }
                .Where(k => m.ChannelTemplate(k) is not null)
                .Select(k => (m.Schema, m.TableName, Operation: ChangeMessage.NameOf(k), Channel: m.ChannelTemplate(k)!, m.RowType)))
            .ToList();
        await ExecuteAsync(connection, $"DELETE FROM {mappingsTable}", cancellationToken);
        await using var insert = new NpgsqlCommand(
            $"INSERT INTO {mappingsTable} (table_schema, table_name, operation, channel, row_type) " +
            "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])",
            connection);
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.Select(r => r.Schema).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.Select(r => r.TableName).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.Select(r => r.Operation).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.Select(r => r.Channel).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.Select(r => r.RowType).ToArray() });
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>The capture could not be installed because a mapping does not fit the database; the message lists every problem.</summary>
public sealed class CaptureInstallException(string message) : Exception(message);
