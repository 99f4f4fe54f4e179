using System.Collections.Generic;
using AblyPgTyped.Capture;
using AblyPgTyped.Publishing;
using Npgsql;

namespace AblyPgTyped.Config;

/// <summary>What the original's configuration says, checked field by field; <see cref="ToOptions"/> turns it into <see cref="ConnectorOptions"/>.</summary>
internal sealed class OriginalSettings
{
    public string Host { get; set; } = ConfigRules.DefaultDatabaseHost;

    public int Port { get; set; } = ConfigRules.DefaultDatabasePort;

    public required string User { get; init; }

    public string? Password { get; set; }

    public required string Database { get; init; }

    /// <summary>Null keeps Npgsql's default.</summary>
    public SslMode? SslMode { get; set; }

    /// <summary>Null when the command does not publish (see <see cref="ConfigParts"/>).</summary>
    public string? ApiKey { get; init; }

    public string? RestHost { get; set; }

    public int? AblyPort { get; set; }

    public bool Tls { get; set; } = true;

    public bool CompatibleMessages { get; set; }

    public string CaptureSchema { get; set; } = CaptureSql.DefaultSchema;

    public CaptureMode Capture { get; set; }

    public required IReadOnlyList<ConnectorEntry> Entries { get; init; }

    /// <summary>The Npgsql connection string, built field by field (values are escaped by the builder).</summary>
    public string ConnectionString
    {
        get
        {
            var builder = new NpgsqlConnectionStringBuilder
            {
                Host = Host,
                Port = Port,
                Username = User,
                Database = Database,
            };
            if (Password is not null)
            {
                builder.Password = Password;
            }

            if (SslMode is { } sslMode)
            {
                builder.SslMode = sslMode;
            }

            return builder.ConnectionString;
        }
    }

    public ConnectorOptions ToOptions(ConfigSource source, ConfigParts parts = ConfigParts.All)
    {
        var options = new ConnectorOptions
        {
            ConnectionString = parts.HasFlag(ConfigParts.Database) ? ConnectionString
                : Database.Length > 0 ? new NpgsqlConnectionStringBuilder { Database = Database }.ConnectionString
                : null,
            CaptureSchema = CaptureSchema,
            Capture = Capture,
            CompatibleMessages = CompatibleMessages,
        };
        options.Ably.ApiKey = ApiKey;
        options.Ably.RestHost = RestHost;
        options.Ably.Port = AblyPort;
        options.Ably.Tls = Tls;
        options.UntypedMappings.AddRange(ConnectorEntry.ToMappings(Entries, source));
        if (parts != ConfigParts.All)
        {
            return options; // serves one command, not a connector: what it lacks is what the command does not use
        }

        try
        {
            options.Validate();
        }
        catch (AblyConfigurationException e)
        {
            // Every field was checked above; this only guards against a rule added to ConnectorOptions later.
            throw source.SourceError("is not valid: " + e.Message, e);
        }

        return options;
    }
}
