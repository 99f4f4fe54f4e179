using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace AblyPgTyped.Capture;

/// <summary>
/// Prepares capture at start, in this order: the capture schema must be the connector's own; every mapping must fit
/// its table (<see cref="MappingCheck"/>); what is installed is compared with what the mappings need
/// (<see cref="InstalledCapture"/>), and only when they differ is the install script run, in one transaction, after
/// checking that this role may; finally the role must hold the grants a running connector needs
/// (<see cref="ConnectorGrants"/>). A standby runs every check but installs nothing.
/// </summary>
internal static class CaptureInstaller
{
    /// <summary>At most this many foreign objects are named in an error.</summary>
    private const int ForeignObjectsNamed = 10;

    /// <summary>At most this many differences are named in an error.</summary>
    private const int DifferencesNamed = 3;

    /// <summary>Checks everything and, when <paramref name="install"/> is set and anything differs, installs.</summary>
    /// <exception cref="CaptureInstallException">The schema, a mapping or the role's rights do not allow capture; nothing was changed.</exception>
    public static async Task<CapturePlan> PrepareAsync(
        NpgsqlConnection connection, string captureSchema, IReadOnlyList<ChangeMapping> mappings, bool install, CancellationToken cancellationToken)
    {
        var check = await CheckAsync(connection, captureSchema, mappings, cancellationToken);
        var keep = check.SetAside.Select(s => s.Mapping).ToList();
        await RequireGrantsAsync(connection, captureSchema, cancellationToken);
        var differences = await InstalledCapture.DifferencesAsync(connection, captureSchema, check.Present, keep, cancellationToken);
        var installed = false;
        if (differences.Count > 0)
        {
            var (role, missing) = await InstallPrivileges.MissingAsync(connection, captureSchema, check.Present, cancellationToken);
            if (missing.Count > 0)
            {
                throw new CaptureInstallException(NotPermitted(captureSchema, role, differences, string.Join(", ", missing)));
            }

            if (install)
            {
                try
                {
                    await RunInTransactionAsync(connection, CaptureInstallScript.Statements(captureSchema, check.Present, keep), cancellationToken);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
                {
                    throw new CaptureInstallException(NotPermitted(captureSchema, role, differences, InstallPrivileges.Describe(e)));
                }

                installed = true;
                await RequireGrantsAsync(connection, captureSchema, cancellationToken);
            }
        }

        string? installId = null;
        if (install)
        {
            await using var idCommand = new NpgsqlCommand(
                $"SELECT value FROM {CaptureSql.QualifiedName(captureSchema, CaptureSql.StateTable)} WHERE key = 'install_id'", connection);
            installId = (string)(await idCommand.ExecuteScalarAsync(cancellationToken))!;
        }

        return new CapturePlan(installId, check.SetAside, installed ? differences : []);
    }

    /// <summary>
    /// The checks of either capture mode: the capture schema must be allowed and the connector's own, and every mapping
    /// must fit its table. Returns which mappings are present and which are set aside.
    /// </summary>
    /// <exception cref="CaptureInstallException">The schema or a mapping does not allow capture.</exception>
    public static async Task<MappingCheck> CheckAsync(NpgsqlConnection connection, string captureSchema, IReadOnlyList<ChangeMapping> mappings, CancellationToken cancellationToken)
    {
        if (CaptureSchemaRules.Problem(captureSchema) is { } reserved)
        {
            // Options are checked when the connector is made; this catches a schema changed on them afterwards.
            throw new CaptureInstallException($"Capture schema {CaptureSql.QuoteIdentifier(captureSchema)} is not allowed: {reserved}; {CaptureSchemaRules.Advice}.");
        }

        var foreign = await CaptureObjects.ForeignAsync(connection, captureSchema, ForeignObjectsNamed + 1, cancellationToken);
        if (foreign.Count > 0)
        {
            throw new CaptureInstallException(
                $"Capture schema {CaptureSql.QuoteIdentifier(captureSchema)} holds objects the connector did not create: {List(foreign, ForeignObjectsNamed)}. " +
                "The capture schema must be the connector's own, since uninstalling removes it: set CaptureSchema (captureSchema in the config file) " +
                $"to a schema that does not exist yet, such as {CaptureSql.DefaultSchema}.");
        }

        var check = await MappingCheck.RunAsync(connection, captureSchema, mappings, cancellationToken);
        if (check.Problems.Count > 0)
        {
            throw new CaptureInstallException("Capture was not installed: " + string.Join("; ", check.Problems) + ".");
        }

        return check;
    }

    /// <summary>
    /// Removes what the connector installed (<see cref="CaptureObjects.UninstallSql"/>) and returns what it left in the
    /// capture schema because the connector did not create it (empty when the schema is gone).
    /// </summary>
    public static async Task<IReadOnlyList<string>> UninstallAsync(NpgsqlConnection connection, string captureSchema, CancellationToken cancellationToken)
    {
        if (CaptureSchemaRules.Problem(captureSchema) is { } reserved)
        {
            throw new CaptureInstallException($"Capture schema {CaptureSql.QuoteIdentifier(captureSchema)} is not allowed: {reserved}; nothing was removed.");
        }

        await RunInTransactionAsync(
            connection,
            "SET LOCAL lock_timeout = '30s';\n" +
            $"SELECT pg_advisory_xact_lock({CaptureSql.InstallLockKey(captureSchema)});\n" +
            CaptureObjects.UninstallSql(captureSchema),
            cancellationToken);
        return await CaptureObjects.ForeignAsync(connection, captureSchema, ForeignObjectsNamed + 1, cancellationToken);
    }

    /// <summary>Names at most <paramref name="count"/> items, and says how many more there are.</summary>
    public static string List(IReadOnlyList<string> items, int count) =>
        string.Join(", ", items.Take(count)) + (items.Count > count ? ", and more" : "");

    private static async Task RequireGrantsAsync(NpgsqlConnection connection, string captureSchema, CancellationToken cancellationToken)
    {
        var lacking = await ConnectorGrants.MissingAsync(connection, captureSchema, cancellationToken);
        if (lacking.Count > 0)
        {
            var role = connection.UserName ?? "this role";
            throw new CaptureInstallException(
                $"Role {CaptureSql.QuoteIdentifier(role)} lacks {string.Join(", ", lacking)}, which the connector needs to use the capture store. " +
                $"Apply the output of `ablypg grants --role {role}` as the owner (ConnectorOptions.GetGrantSql in code).");
        }
    }

    private static string NotPermitted(string captureSchema, string role, IReadOnlyList<string> differences, string lacking) =>
        $"The capture installed in schema {CaptureSql.QuoteIdentifier(captureSchema)} does not match the mappings ({List(differences, DifferencesNamed)}), " +
        $"and role {CaptureSql.QuoteIdentifier(role)} may not install it: it lacks {lacking}. " +
        "Run `ablypg sql` (ConnectorOptions.GetInstallSql in code) and apply its output as the database owner, " +
        $"or grant {role} what it lacks.";

    private static async Task RunInTransactionAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(sql, connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}

/// <summary>Capture cannot run as configured (a mapping does not fit the database, the schema is not the connector's, a right is missing); the message lists every problem.</summary>
public sealed class CaptureInstallException(string message) : Exception(message);
