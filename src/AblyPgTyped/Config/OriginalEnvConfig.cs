using System;
using System.Globalization;
using System.Linq;
using System.Text.Json;

namespace AblyPgTyped.Config;

/// <summary>
/// Reads the original's environment variables, from a .env file or the process environment:
/// <c>DB_HOST</c>, <c>DB_PORT</c>, <c>DB_USER</c>, <c>DB_PASSWORD</c>, <c>DB_NAME</c>, <c>ABLY_API_KEY</c>, <c>ABLY_CONNECTOR</c>,
/// plus the optional <c>ABLY_REST_HOST</c>, <c>ABLY_PORT</c>, <c>ABLY_TLS_PORT</c>, <c>ABLY_TLS</c>,
/// <c>ABLY_COMPATIBLE_MESSAGES</c>, <c>ABLYPG_CAPTURE_SCHEMA</c> and <c>ABLYPG_CAPTURE</c>. An empty value counts as unset.
/// </summary>
internal static class OriginalEnvConfig
{
    /// <summary>The original's variables; a source that sets none of them is reported as holding no configuration.</summary>
    public static readonly string[] OriginalNames = ["DB_HOST", "DB_PORT", "DB_USER", "DB_PASSWORD", "DB_NAME", "ABLY_API_KEY", "ABLY_CONNECTOR"];

    public static OriginalSettings Read(Func<string, string?> variable, ConfigSource source, ConfigParts parts = ConfigParts.All)
    {
        string? Get(string name) => variable(name) is { Length: > 0 } value ? value : null;

        if (OriginalNames.All(name => Get(name) is null))
        {
            throw source.SourceError(
                (source.FullPath is null ? "holds no configuration" : "sets none of the original's variables")
                + ": set " + string.Join(", ", OriginalNames[..^1]) + " and " + OriginalNames[^1]
                + (source.FullPath is null ? ", or give the path of a config file (config/default.json or config/.env)" : ""));
        }

        string Required(string name, string purpose) => Get(name) ?? throw source.Error(name, "is not set: " + purpose);

        // A part the command does not use is neither required nor checked (see ConfigParts).
        var usesDatabase = parts.HasFlag(ConfigParts.Database);
        var usesAbly = parts.HasFlag(ConfigParts.Ably);
        var host = usesDatabase ? ConfigRules.DatabaseHost(source, "DB_HOST", Get("DB_HOST") ?? ConfigRules.DefaultDatabaseHost) : ConfigRules.DefaultDatabaseHost;
        var port = usesDatabase && Get("DB_PORT") is { } portText ? ConfigRules.Port(source, "DB_PORT", portText) : ConfigRules.DefaultDatabasePort;
        var user = usesDatabase ? Required("DB_USER", "the PostgreSQL user name") : Get("DB_USER") ?? "";
        var password = Get("DB_PASSWORD");
        var database = usesDatabase ? Required("DB_NAME", "the name of the database whose tables are captured") : Get("DB_NAME") ?? "";
        var apiKey = usesAbly ? ConfigRules.ApiKey(source, "ABLY_API_KEY", Required("ABLY_API_KEY", "the full Ably API key \"keyName:keySecret\" (as shown in the Ably dashboard)")) : null;
        var entries = parts.HasFlag(ConfigParts.Tables)
            ? ConnectorEntry.ReadList(ParseConnector(Required("ABLY_CONNECTOR", Example), source), source, "ABLY_CONNECTOR")
            : [];
        var restHost = usesAbly && Get("ABLY_REST_HOST") is { } restHostText ? ConfigRules.RestHost(source, "ABLY_REST_HOST", restHostText) : null;
        var (ablyPort, tls) = usesAbly
            ? ConfigRules.AblyEndpoint(
                source,
                (OptionalPort("ABLY_PORT"), "ABLY_PORT"),
                (OptionalPort("ABLY_TLS_PORT"), "ABLY_TLS_PORT"),
                (OptionalBoolean("ABLY_TLS"), "ABLY_TLS"))
            : (null, true);
        var compatible = usesAbly && (OptionalBoolean("ABLY_COMPATIBLE_MESSAGES") ?? false);
        var captureSchema = Get("ABLYPG_CAPTURE_SCHEMA") is { } schema
            ? ConfigRules.CaptureSchema(source, "ABLYPG_CAPTURE_SCHEMA", schema)
            : Capture.CaptureSql.DefaultSchema;
        var capture = Get("ABLYPG_CAPTURE") is { } captureText ? CaptureModeSetting.Parse(source, "ABLYPG_CAPTURE", captureText) : CaptureMode.Triggers;

        return new OriginalSettings
        {
            Host = host,
            Port = port,
            User = user,
            Password = password,
            Database = database,
            ApiKey = apiKey,
            Entries = entries,
            RestHost = restHost,
            AblyPort = ablyPort,
            Tls = tls,
            CompatibleMessages = compatible,
            CaptureSchema = captureSchema,
            Capture = capture,
        };

        int? OptionalPort(string name) => Get(name) is { } text ? ConfigRules.Port(source, name, text) : null;

        bool? OptionalBoolean(string name) => Get(name) is { } text ? ConfigRules.Boolean(source, name, text) : null;
    }

    private const string Example = "a JSON array such as '[{\"tablename\":\"users\",\"ablychannelname\":\"ably-users-added\",\"operation\":\"INSERT\"}]'";

    private static JsonElement ParseConnector(string text, ConfigSource source)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            var where = text.Contains('\n', StringComparison.Ordinal)
                ? "line " + ((e.LineNumber ?? 0) + 1).ToString(CultureInfo.InvariantCulture) + ", position "
                : "position ";
            var hint = text.Contains('"', StringComparison.Ordinal)
                ? ""
                : " (it has no double quotes: did a shell remove them? Put the whole value in single quotes)";
            var reason = e.Message.IndexOf(" LineNumber:", StringComparison.Ordinal) is var cut and >= 0 ? e.Message[..cut] : e.Message;
            throw source.Error(
                "ABLY_CONNECTOR",
                "is not valid JSON: " + where + ((e.BytePositionInLine ?? 0) + 1).ToString(CultureInfo.InvariantCulture) + ": " + reason.Trim() + hint,
                e);
        }
    }
}
