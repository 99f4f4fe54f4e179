using System;
using System.Globalization;
using System.Text.Json;
using Npgsql;

namespace AblyPgTyped.Config;

/// <summary>
/// Reads the original's <c>config/default.json</c>:
/// <c>{"dbConfig": {"host", "port", "user", "password", "database"}, "connector": [{"tablename", "ablychannelname", "operation"}], "ably": {"apiKey"}}</c>,
/// plus the optional <c>ably.restHost</c>, <c>ably.port</c>, <c>ably.tlsPort</c>, <c>ably.tls</c>, <c>ably.compatibleMessages</c>,
/// <c>dbConfig.ssl</c>, <c>captureSchema</c> and <c>capture</c>.
/// </summary>
internal static class OriginalJsonConfig
{
    private static readonly JsonDocumentOptions ParseOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    public static OriginalSettings Read(string text, ConfigSource source, bool namedJson)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw source.SourceError("is empty: expected the original's JSON, {\"dbConfig\": {…}, \"connector\": […], \"ably\": {\"apiKey\": …}}");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, ParseOptions);
        }
        catch (JsonException e)
        {
            var hint = namedJson ? "" : " (files whose name ends in .env are read as .env files; any other file as JSON)";
            throw source.SourceError(
                "is not valid JSON: line " + ((e.LineNumber ?? 0) + 1).ToString(CultureInfo.InvariantCulture)
                + ", position " + ((e.BytePositionInLine ?? 0) + 1).ToString(CultureInfo.InvariantCulture) + ": " + Reason(e) + hint,
                e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw source.SourceError("must hold a JSON object with dbConfig, connector and ably, not " + JsonFields.Describe(root));
            }

            var top = JsonFields.Of(root, "", source, "the configuration");
            var db = JsonFields.Of(
                top.Get("dbConfig") ?? throw source.Error("dbConfig", "is missing: the PostgreSQL connection, {\"host\", \"port\", \"user\", \"password\", \"database\"}"),
                "dbConfig", source, "the PostgreSQL connection: host, port, user, password, database");
            if (db.Has("connectionString"))
            {
                throw source.Error(db.Field("connectionString"), "is not supported: give host, port, user, password and database instead");
            }

            var host = ConfigRules.DatabaseHost(source, db.Field("host"), db.OptionalString("host", "the PostgreSQL server's host name") ?? ConfigRules.DefaultDatabaseHost);
            var port = db.OptionalPort("port");
            var user = db.RequiredString("user", "the PostgreSQL user name");
            var password = db.OptionalString("password", "the PostgreSQL user's password");
            var database = db.RequiredString("database", "the name of the database whose tables are captured");
            var ssl = ReadSsl(db, source);

            var list = top.Get("connector") ?? throw source.Error("connector", "is missing: the tables to capture, e.g. [{\"tablename\": \"users\", \"ablychannelname\": \"ably-users-added\", \"operation\": \"INSERT\"}]");
            var entries = ConnectorEntry.ReadList(list, source, "connector");

            var ably = JsonFields.Of(
                top.Get("ably") ?? throw source.Error("ably", "is missing: {\"apiKey\": \"keyName:keySecret\"}"),
                "ably", source, "{\"apiKey\": \"keyName:keySecret\"}");
            var apiKeyField = ably.Field("apiKey");
            var apiKeyValue = ably.Get("apiKey");
            if (apiKeyValue is { ValueKind: not JsonValueKind.String } wrong)
            {
                throw source.Error(apiKeyField, "must be a string (the full API key \"keyName:keySecret\"), not " + JsonFields.Describe(wrong));
            }

            var apiKey = ConfigRules.ApiKey(source, apiKeyField, apiKeyValue?.GetString());
            var restHost = ably.OptionalString("restHost", "the REST host name, e.g. 127.0.0.1 for a local endpoint") is { } restHostText
                ? ConfigRules.RestHost(source, ably.Field("restHost"), restHostText)
                : null;
            var (ablyPort, tls) = ConfigRules.AblyEndpoint(
                source,
                (ably.OptionalPort("port"), ably.Field("port")),
                (ably.OptionalPort("tlsPort"), ably.Field("tlsPort")),
                (ably.OptionalBoolean("tls", "false for plain HTTP to a local endpoint"), ably.Field("tls")));
            var compatible = ably.OptionalBoolean("compatibleMessages", "true to publish exactly what the Node.js connector published");
            var captureSchema = top.OptionalString("captureSchema", "the schema for the connector's tables") is { } schemaText
                ? ConfigRules.CaptureSchema(source, "captureSchema", schemaText)
                : Capture.CaptureSql.DefaultSchema;
            var capture = top.OptionalString("capture", "the capture mode: triggers (the default) or logical-replication") is { } captureText
                ? CaptureModeSetting.Parse(source, "capture", captureText)
                : CaptureMode.Triggers;

            return new OriginalSettings
            {
                Host = host,
                Port = port ?? ConfigRules.DefaultDatabasePort,
                User = user,
                Password = password,
                Database = database,
                SslMode = ssl,
                Entries = entries,
                ApiKey = apiKey,
                RestHost = restHost,
                AblyPort = ablyPort,
                Tls = tls,
                CompatibleMessages = compatible ?? false,
                CaptureSchema = captureSchema,
                Capture = capture,
            };
        }
    }

    /// <summary>
    /// node-postgres's <c>ssl</c>: <c>true</c> (TLS, certificate verified), <c>false</c> (no TLS), or
    /// <c>{"rejectUnauthorized": false}</c> (TLS, certificate not verified). Absent: Npgsql's default (TLS when the server offers it).
    /// </summary>
    private static SslMode? ReadSsl(JsonFields db, ConfigSource source)
    {
        var ssl = db.Get("ssl");
        switch (ssl?.ValueKind)
        {
            case null:
                return null;
            case JsonValueKind.True:
                return SslMode.VerifyFull;
            case JsonValueKind.False:
                return SslMode.Disable;
            case JsonValueKind.Object:
                var fields = JsonFields.Of(ssl.Value, db.Field("ssl"), source, "TLS settings");
                foreach (var property in ssl.Value.EnumerateObject())
                {
                    if (property.Name != "rejectUnauthorized")
                    {
                        throw source.Error(
                            fields.Field(property.Name),
                            "is not supported: only rejectUnauthorized is read; trust the server's certificate authority in the system's certificate store instead");
                    }
                }

                return fields.OptionalBoolean("rejectUnauthorized", "whether the server's certificate is verified") == false ? SslMode.Require : SslMode.VerifyFull;
            default:
                throw source.Error(db.Field("ssl"), "must be true, false or {\"rejectUnauthorized\": false}, not " + JsonFields.Describe(ssl.Value));
        }
    }

    /// <summary>System.Text.Json's explanation, without its own position suffix.</summary>
    private static string Reason(JsonException e)
    {
        var message = e.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut >= 0 ? message[..cut] : message).Trim();
    }
}
