using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AblyPgTyped.Capture.Logical;

/// <summary>
/// Installs or reconciles logical-replication capture: checks the server settings and the role, installs the store
/// (which keeps the dead letters, state and mappings, and whose inserts carry backfills' chunks), the publications, the
/// replication slot and each mapping's publication membership and replica identity; removes the capture triggers of an
/// earlier trigger installation.
/// </summary>
/// <remarks>
/// The order makes a switch from triggers exact: the publications exist before the slot (a slot cannot decode a change
/// made before a publication it names existed), the slot exists before the tables join the publications, and the
/// triggers are dropped in the same transaction in which the tables join. Every change committed before that
/// transaction was captured by the triggers; every later one is decoded from the slot.
/// </remarks>
internal static class LogicalCaptureInstaller
{
    /// <summary>
    /// The start-up checks of logical-replication capture (those of trigger capture, then the server's settings and the
    /// role's attributes) and, when <paramref name="install"/> is set, the install. A standby checks only.
    /// </summary>
    /// <exception cref="CaptureInstallException">The schema, a mapping, the server or the role does not allow it.</exception>
    public static async Task<CapturePlan> PrepareAsync(
        NpgsqlConnection connection, string captureSchema, IReadOnlyList<ChangeMapping> mappings, bool install, ILogger logger, CancellationToken cancellationToken)
    {
        var check = await CaptureInstaller.CheckAsync(connection, captureSchema, mappings, cancellationToken);
        if (!install)
        {
            await CheckServerAsync(connection, cancellationToken);
            return new CapturePlan(null, check.SetAside, []);
        }

        var setup = await InstallAsync(connection, captureSchema, check.Present, logger, cancellationToken);
        return new CapturePlan(setup.InstallId, check.SetAside, [], setup);
    }

    /// <summary>Checks, installs and reconciles everything; returns what the capture source needs.</summary>
    /// <exception cref="CaptureInstallException">The server, the role or a mapping does not allow it; the message says what to change.</exception>
    private static async Task<LogicalSetup> InstallAsync(NpgsqlConnection connection, string captureSchema, IReadOnlyList<ChangeMapping> mappings, ILogger logger, CancellationToken cancellationToken)
    {
        var server = await CheckServerAsync(connection, cancellationToken);
        var slotName = PublicationSql.SlotName(captureSchema, server.Database);
        var stateTable = CaptureSql.QualifiedName(captureSchema, CaptureSql.StateTable);

        // 1. The store and the publications, which must exist before the slot does.
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await ExecuteAsync(connection, "SET LOCAL lock_timeout = '30s'", cancellationToken);
            await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({CaptureSql.InstallLockKey(captureSchema)})", cancellationToken);
            await ExecuteAsync(connection, CaptureSql.InstallStore(captureSchema) + PublicationSql.InstallPublications(captureSchema), cancellationToken);
            await RefuseTriggerBacklogAsync(connection, captureSchema, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        // 2. The slot, outside any transaction (PostgreSQL creates it only there).
        var created = await EnsureSlotAsync(connection, slotName, stateTable, logger, cancellationToken);

        // 3. The tables join their publications, and the triggers of an earlier installation go, in one transaction.
        var mappingsTable = CaptureSql.QualifiedName(captureSchema, CaptureSql.MappingsTable);
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await ExecuteAsync(connection, "SET LOCAL lock_timeout = '30s'", cancellationToken);
            await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({CaptureSql.InstallLockKey(captureSchema)})", cancellationToken);
            var tables = await ValidateForReplicationAsync(connection, mappings, cancellationToken);

            // Every capture trigger and function goes; tables no longer mapped leave the publications.
            var sql = new StringBuilder(CaptureInstallScript.DropOtherCaptureFunctions(captureSchema, []));
            foreach (var (schema, table) in await InstalledTablesAsync(connection, mappingsTable, cancellationToken))
            {
                if (!mappings.Any(m => m.Schema == schema && m.TableName == table))
                {
                    sql.Append(PublicationSql.UninstallTable(captureSchema, schema, table));
                }
            }

            await ExecuteAsync(connection, sql.ToString(), cancellationToken);

            // The triggers are gone (their tables are locked until commit); a row they captured since the check above
            // must be published first. A slot made for this switch goes too, or trigger capture would refuse to start.
            try
            {
                await RefuseTriggerBacklogAsync(connection, captureSchema, cancellationToken);
            }
            catch (CaptureInstallException)
            {
                await transaction.RollbackAsync(cancellationToken);
                if (created)
                {
                    await ExecuteAsync(connection, PublicationSql.DropSlot(slotName), cancellationToken);
                }

                throw;
            }

            sql.Clear().Append(PublicationSql.InstallStore(captureSchema));
            foreach (var mapping in mappings)
            {
                sql.Append(PublicationSql.InstallTable(captureSchema, mapping.Capture, mapping.ReplicaIdentity == ReplicaIdentity.Full));
            }

            await ExecuteAsync(connection, sql.ToString(), cancellationToken);
            await RecordMappingsAsync(connection, mappingsTable, mappings, cancellationToken);
            await using var idCommand = new NpgsqlCommand($"SELECT value FROM {stateTable} WHERE key = 'install_id'", connection);
            var installId = (string)(await idCommand.ExecuteScalarAsync(cancellationToken))!;
            await transaction.CommitAsync(cancellationToken);
            return new LogicalSetup(installId, slotName, PublicationSql.PublicationNames(captureSchema), server.Version, tables);
        }
    }

    /// <summary>Drops the capture schema's slot and publications, if they exist (whatever the configured mode: it may have changed).</summary>
    /// <exception cref="CaptureInstallException">The slot is in use by a running connector.</exception>
    public static async Task UninstallAsync(NpgsqlConnection connection, string captureSchema, CancellationToken cancellationToken)
    {
        var slotName = PublicationSql.SlotName(captureSchema, connection.Database);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ExecuteAsync(connection, PublicationSql.DropSlot(slotName), cancellationToken);
                break;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectInUse)
            {
                // A connector that just stopped: its walsender ends a moment later.
                if (attempt == 30)
                {
                    throw new CaptureInstallException($"Replication slot \"{slotName}\" is in use by a running connector: stop the connectors first ({e.MessageText}).");
                }

                await Task.Delay(100, cancellationToken);
            }
        }

        await ExecuteAsync(connection, PublicationSql.UninstallPublications(captureSchema), cancellationToken);
    }

    /// <summary>
    /// Trigger capture refuses to start over a replication slot of logical-replication capture: the changes in the slot
    /// would never be published, and the slot would keep the server's write-ahead log without bound.
    /// </summary>
    public static async Task RefuseTriggersOverSlotAsync(NpgsqlConnection connection, string captureSchema, CancellationToken cancellationToken)
    {
        var slotName = PublicationSql.SlotName(captureSchema, connection.Database);
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1)", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = slotName });
        if ((bool)(await command.ExecuteScalarAsync(cancellationToken))!)
        {
            throw new CaptureInstallException(
                $"Capture schema {captureSchema} was installed for logical replication: its replication slot \"{slotName}\" exists. " +
                "To switch back to triggers, run the connector with Capture = LogicalReplication until it has published what the slot holds, " +
                $"stop it, and drop the slot (SELECT pg_drop_replication_slot('{slotName}')); or uninstall capture (which drops it).");
        }
    }

    /// <summary>The DDL of logical-replication capture, for a DBA to review or apply (the connector creates the slot when it starts).</summary>
    public static string GetInstallSql(ConnectorOptions options)
    {
        var sql = new StringBuilder(CaptureSql.InstallStore(options.CaptureSchema)).Append('\n').Append(PublicationSql.InstallPublications(options.CaptureSchema))
            .Append(PublicationSql.InstallStore(options.CaptureSchema));
        foreach (var table in options.Tables)
        {
            var mapping = table.CreateMapping();
            sql.Append(PublicationSql.InstallTable(options.CaptureSchema, mapping.Capture, mapping.ReplicaIdentity == ReplicaIdentity.Full));
        }

        foreach (var mapping in options.UntypedMappings)
        {
            sql.Append(PublicationSql.InstallTable(options.CaptureSchema, mapping.Capture, mapping.ReplicaIdentity == ReplicaIdentity.Full));
        }

        // Last, after the publications exist, and on its own: PostgreSQL creates a slot only outside a transaction that wrote.
        var database = DatabaseOf(options.EffectiveConnectionString);
        sql.Append("-- The replication slot (the role needs the REPLICATION attribute; run it on its own, not in a transaction):\n")
           .Append(database is null
               ? "-- SELECT pg_create_logical_replication_slot('<the name the connector derives from the database and capture schema>', 'pgoutput');\n"
               : PublicationSql.CreateSlot(PublicationSql.SlotName(options.CaptureSchema, database)));
        return sql.ToString();
    }

    /// <summary>The DDL that removes logical-replication capture: the slot, the publications and the store.</summary>
    public static string GetUninstallSql(string captureSchema, string? connectionString = null)
    {
        var database = DatabaseOf(connectionString);
        return (database is null ? "" : PublicationSql.DropSlot(PublicationSql.SlotName(captureSchema, database))) +
               PublicationSql.UninstallPublications(captureSchema) + CaptureObjects.UninstallSql(captureSchema);
    }

    private static string? DatabaseOf(string? connectionString)
    {
        if (string.IsNullOrEmpty(connectionString))
        {
            return null;
        }

        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return builder.Database ?? builder.Username;
    }

    private sealed record ServerFacts(int Version, string Database);

    /// <summary>wal_level, the role's REPLICATION attribute and the server version, each with what to do about it.</summary>
    private static async Task<ServerFacts> CheckServerAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT current_setting('wal_level'), current_setting('server_version_num')::int, current_database(), current_user,
                   coalesce((SELECT r.rolreplication OR r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user), false)
            """,
            connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var walLevel = reader.GetString(0);
        var version = reader.GetInt32(1);
        var database = reader.GetString(2);
        var role = reader.GetString(3);
        var replication = reader.GetBoolean(4);
        if (walLevel != "logical")
        {
            throw new CaptureInstallException(
                $"Logical replication capture needs wal_level = logical, and the server has wal_level = {walLevel}. " +
                "Set it (ALTER SYSTEM SET wal_level = logical; on a managed service, its logical replication parameter, such as " +
                "rds.logical_replication = 1 on Amazon RDS or cloudsql.logical_decoding = on on Cloud SQL) and restart PostgreSQL, " +
                "or use Capture = Triggers, which needs no server settings.");
        }

        if (!replication)
        {
            throw new CaptureInstallException(
                $"Logical replication capture needs a role with the REPLICATION attribute, and role \"{role}\" does not have it. " +
                $"Run ALTER ROLE \"{role.Replace("\"", "\"\"", StringComparison.Ordinal)}\" REPLICATION (on Amazon RDS: GRANT rds_replication TO \"{role.Replace("\"", "\"\"", StringComparison.Ordinal)}\"), " +
                "or use Capture = Triggers.");
        }

        if (version < 130000)
        {
            throw new CaptureInstallException($"Logical replication capture needs PostgreSQL 13 or later; the server is version {version / 10000}.");
        }

        return new ServerFacts(version, database);
    }

    /// <summary>What the triggers captured must be published before logical replication takes over.</summary>
    private static async Task RefuseTriggerBacklogAsync(NpgsqlConnection connection, string captureSchema, CancellationToken cancellationToken)
    {
        var changes = CaptureSql.QualifiedName(captureSchema, CaptureSql.ChangesTable);
        await using var pending = new NpgsqlCommand($"SELECT count(*) FROM {changes}", connection);
        var count = (long)(await pending.ExecuteScalarAsync(cancellationToken))!;
        if (count > 0)
        {
            throw new CaptureInstallException(
                $"Capture was not switched to logical replication: {count} capture row(s) recorded by the triggers in {changes} " +
                "are not published yet. Run the connector with Capture = Triggers until that table is empty, then switch.");
        }
    }

    /// <summary>Creates the slot unless it exists; true when it was created now.</summary>
    private static async Task<bool> EnsureSlotAsync(NpgsqlConnection connection, string slotName, string stateTable, ILogger logger, CancellationToken cancellationToken)
    {
        string? plugin = null, database = null, walStatus = null;
        await using (var command = new NpgsqlCommand(
            $"""
            SELECT s.plugin, s.database, s.wal_status, (SELECT value FROM {stateTable} WHERE key = '{PublicationSql.SlotStateKey}')
            FROM (SELECT 1) one LEFT JOIN pg_catalog.pg_replication_slots s ON s.slot_name = $1
            """,
            connection))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = slotName });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            plugin = reader.IsDBNull(0) ? null : reader.GetString(0);
            database = reader.IsDBNull(1) ? null : reader.GetString(1);
            walStatus = reader.IsDBNull(2) ? null : reader.GetString(2);
            var recorded = !reader.IsDBNull(3);
            if (plugin is null && recorded)
            {
                LogMessages.SlotLost(logger, slotName);
            }
        }

        if (plugin is not null)
        {
            if (plugin != PublicationSql.OutputPlugin || database != connection.Database)
            {
                throw new CaptureInstallException(
                    $"Replication slot \"{slotName}\" exists but is not this connector's (plugin {plugin}, database {database}): drop it or use another CaptureSchema.");
            }

            if (walStatus == "lost")
            {
                throw new CaptureInstallException(
                    $"Replication slot \"{slotName}\" was invalidated: it kept more write-ahead log than max_slot_wal_keep_size allows, and " +
                    "PostgreSQL removed WAL it had not yet delivered, so the changes since its last confirmed position are lost. " +
                    $"Drop it (SELECT pg_drop_replication_slot('{slotName}'), or uninstall capture) and start the connector again: capture resumes from then.");
            }

            return false;
        }

        try
        {
            await ExecuteAsync(connection, PublicationSql.CreateSlot(slotName), cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ConfigurationLimitExceeded)
        {
            throw new CaptureInstallException(
                $"Replication slot \"{slotName}\" could not be created: all max_replication_slots are in use ({e.MessageText}). " +
                "Raise max_replication_slots (a restart is needed) or drop slots no longer used (SELECT slot_name, active FROM pg_replication_slots).");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new CaptureInstallException($"Replication slot \"{slotName}\" could not be created: {e.MessageText}. Give the role the REPLICATION attribute.");
        }

        await using var record = new NpgsqlCommand(
            $"INSERT INTO {stateTable} (key, value) VALUES ('{PublicationSql.SlotStateKey}', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", connection);
        record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = slotName });
        await record.ExecuteNonQueryAsync(cancellationToken);
        LogMessages.SlotCreated(logger, slotName);
        return true;
    }

    /// <summary>
    /// What logical replication needs of each mapped table beyond what triggers need: a replica identity PostgreSQL can
    /// log old rows by, and, with key-only identity, deletes that carry what the mapping resolves from them.
    /// Returns each mapped table's OID and its columns' types, which the capture source checks relation messages against.
    /// </summary>
    private static async Task<IReadOnlyDictionary<uint, MappedTable>> ValidateForReplicationAsync(NpgsqlConnection connection, IReadOnlyList<ChangeMapping> mappings, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var tables = new Dictionary<uint, MappedTable>();
        foreach (var mapping in mappings)
        {
            var qualified = CaptureSql.QualifiedName(mapping.Schema, mapping.TableName);
            await using var command = new NpgsqlCommand(
                """
                SELECT c.oid, c.relreplident::text, a.attname, a.atttypid, a.attgenerated <> '',
                       a.attnum IN (SELECT pg_catalog.unnest(i.indkey) FROM pg_catalog.pg_index i
                                    WHERE i.indrelid = c.oid AND (i.indisreplident OR (c.relreplident = 'd' AND i.indisprimary))),
                       EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND (i.indisreplident OR (c.relreplident = 'd' AND i.indisprimary)))
                FROM pg_catalog.pg_class c
                JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                WHERE c.oid = to_regclass($1)
                ORDER BY a.attnum
                """,
                connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = qualified });
            uint oid = 0;
            var identity = 'd';
            var hasIdentityIndex = false;
            var types = new Dictionary<string, uint>(StringComparer.Ordinal);
            var generated = new HashSet<string>(StringComparer.Ordinal);
            var identityColumns = new HashSet<string>(StringComparer.Ordinal);
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    oid = reader.GetFieldValue<uint>(0);
                    identity = reader.GetString(1)[0];
                    var column = reader.GetString(2);
                    types[column] = reader.GetFieldValue<uint>(3);
                    if (reader.GetBoolean(4))
                    {
                        generated.Add(column);
                    }

                    if (reader.GetBoolean(5))
                    {
                        identityColumns.Add(column);
                    }

                    hasIdentityIndex = reader.GetBoolean(6);
                }
            }

            tables[oid] = new MappedTable(mapping.Schema, mapping.TableName, types);
            var full = mapping.ReplicaIdentity == ReplicaIdentity.Full;
            foreach (var column in mapping.Columns ?? [])
            {
                if (generated.Contains(column.Name))
                {
                    problems.Add($"column \"{column.Name}\" of {qualified} (mapped by {mapping.MappedBy}.{column.Property}) is a generated column, " +
                                 "which logical replication does not carry: stop mapping it, or use Capture = Triggers");
                }
            }

            var capture = mapping.Capture;
            if (full || !(capture.Update || capture.Delete) || identity == 'f')
            {
                continue;
            }

            if (identity == 'n' || (identity is 'd' or 'i' && !hasIdentityIndex))
            {
                problems.Add(
                    $"table {qualified} (mapped by {mapping.MappedBy}) has no primary key{(identity == 'n' ? " (REPLICA IDENTITY NOTHING)" : "")}: " +
                    "PostgreSQL refuses updates and deletes of a table published for them without a replica identity. " +
                    "Give it a primary key, or map it with [AblyTable(…, ReplicaIdentity = ReplicaIdentity.Full)]");
                continue;
            }

            if (!capture.Delete || mapping.Columns is not { } columns)
            {
                continue;
            }

            // A delete carries the replica identity only: what the mapping reads from a deleted row must be in it.
            foreach (var key in columns.Where(c => c.IsKey && !identityColumns.Contains(c.Name)))
            {
                problems.Add(
                    $"the key column \"{key.Name}\" of {mapping.MappedBy} is not in the replica identity of {qualified} ({string.Join(", ", identityColumns.Select(c => "\"" + c + "\""))}), " +
                    "and a delete carries only that: mark the primary key's properties [AblyKey], or map it with ReplicaIdentity = ReplicaIdentity.Full");
            }

            foreach (var property in ChannelTemplates.Placeholders(mapping.ChannelTemplate(ChangeKind.Delete)))
            {
                var column = columns.FirstOrDefault(c => c.Property == property);
                if (column is not null && !identityColumns.Contains(column.Name))
                {
                    problems.Add(
                        $"the delete channel '{mapping.ChannelTemplate(ChangeKind.Delete)}' of {mapping.MappedBy} uses {property}, which is not in the replica identity of {qualified}, " +
                        "and a delete carries only that: use key properties in it, or map it with ReplicaIdentity = ReplicaIdentity.Full");
                }
            }
        }

        if (problems.Count > 0)
        {
            throw new CaptureInstallException("Capture was not installed: " + string.Join("; ", problems) + ".");
        }

        return tables;
    }

    private static async Task<List<(string Schema, string Table)>> InstalledTablesAsync(NpgsqlConnection connection, string mappingsTable, CancellationToken cancellationToken)
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

    /// <summary>Records the mappings as trigger capture's install script does (<see cref="CaptureInstallScript.MappingRows"/>).</summary>
    private static async Task RecordMappingsAsync(NpgsqlConnection connection, string mappingsTable, IReadOnlyList<ChangeMapping> mappings, CancellationToken cancellationToken)
    {
        var rows = CaptureInstallScript.MappingRows(mappings).ToList();
        await ExecuteAsync(connection, $"DELETE FROM {mappingsTable}", cancellationToken);
        await using var insert = new NpgsqlCommand(
            $"INSERT INTO {mappingsTable} (table_schema, table_name, operation, channel, row_type) " +
            "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])",
            connection);
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.Select(r => r.Schema).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.Select(r => r.Table).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.Select(r => r.Operation).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.Select(r => r.Channel).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.Select(r => r.RowType).ToArray() });
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        if (sql.Length == 0)
        {
            return;
        }

        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>A mapped table as the installer found it: its names and its columns' type OIDs.</summary>
internal sealed record MappedTable(string Schema, string Table, IReadOnlyDictionary<string, uint> ColumnTypes);

/// <summary>What the installer established for the capture source.</summary>
/// <param name="InstallId">The installation's id, which prefixes every message id.</param>
/// <param name="SlotName">The replication slot.</param>
/// <param name="Publications">The publications the stream names.</param>
/// <param name="ServerVersion">The server's <c>server_version_num</c>.</param>
/// <param name="Tables">The mapped tables by OID.</param>
internal sealed record LogicalSetup(string InstallId, string SlotName, IReadOnlyList<string> Publications, int ServerVersion, IReadOnlyDictionary<uint, MappedTable> Tables);
