using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using AblyPgTyped.Config;
using Npgsql;

namespace AblyPgTyped.Cli;

/// <summary>
/// The settings and the database session of a command that works on the capture store itself (status, dead-letters,
/// uninstall). They read only the database settings and the capture schema: no table list and no API key.
/// </summary>
internal static class CliDatabase
{
    /// <summary>The application name these sessions show in <c>pg_stat_activity</c>.</summary>
    public const string ApplicationName = "ablypg";

    /// <summary>The database settings and capture schema of CONFIG (or of the environment, with none).</summary>
    public static ConnectorOptions Settings(string? configPath) => OriginalConfiguration.Load(configPath, ConfigParts.Database);

    /// <summary>Whether the capture schema holds a store (its <c>changes</c> table), read from the catalog.</summary>
    public static async Task<bool> IsInstalledAsync(NpgsqlConnection connection, string captureSchema, CancellationToken cancellationToken = default)
    {
        await using var command = new NpgsqlCommand(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " +
            "WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind = 'r')", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = captureSchema });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = CaptureSql.ChangesTable });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// A session of its own, unpooled, so that closing it ends it (and releases any advisory lock it took).
    /// </summary>
    public static async Task<NpgsqlConnection> OpenAsync(ConnectorOptions settings, CancellationToken cancellationToken = default)
    {
        var builder = new NpgsqlConnectionStringBuilder(settings.ConnectionString) { Pooling = false, ApplicationName = ApplicationName };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        return connection;
    }
}
