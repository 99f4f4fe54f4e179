using System;
using System.Collections.Generic;
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

    public static OriginalSettings Read(string text, ConfigSource source, bool namedJson, ConfigParts parts = ConfigParts.All)
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
            // A part the command does not use may be missing and is not checked (see ConfigParts); the database's name is
            // still read when it is there, for the GRANT script.
            string host = ConfigRules.DefaultDatabaseHost, user = "", database = "";
            int? port = null;
            string? password = null;
            SslMode? ssl = null;
            if (parts.HasFlag(ConfigParts.Database))
            {
                (host, port, user, password, database, ssl) = ReadDatabase(top, source);
            }
            else if (top.Get("dbConfig") is { ValueKind: JsonValueKind.Object } dbConfig
                     && dbConfig.TryGetProperty("database", out var name) && name.ValueKind == JsonValueKind.String)
            {
                database = name.GetString()!;
            }

            var entries = parts.HasFlag(ConfigParts.Tables) ? ReadEntries(top, source) : [];
            string? apiKey = null, restHost = null;
            int? ablyPort = null;
            var tls = true;
            bool? compatible = null;
            if (parts.HasFlag(ConfigParts.Ably))
            {
                (apiKey, restHost, ablyPort, tls, compatible) = ReadAbly(top, source);
            }

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

    private static (string Host, int? Port, string User, string? Password, string Database, SslMode? Ssl) ReadDatabase(JsonFields top, ConfigSource source)
    {
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
        return (host, port, user, password, database, ReadSsl(db, source));
    }

    private static List<ConnectorEntry> ReadEntries(JsonFields top, ConfigSource source)
    {
        var list = top.Get("connector") ?? throw source.Error("connector", "is missing: the tables to capture, e.g. [{\"tablename\": \"users\", \"ablychannelname\": \"ably-users-added\", \"operation\": \"INSERT\"}]");
        return ConnectorEntry.ReadList(list, source, "connector");
    }

    private static (string ApiKey, string? RestHost, int? Port, bool Tls, bool? Compatible) ReadAbly(JsonFields top, ConfigSource source)
    {
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
        var (port, tls) = ConfigRules.AblyEndpoint(
            source,
            (ably.OptionalPort("port"), ably.Field("port")),
            (ably.OptionalPort("tlsPort"), ably.Field("tlsPort")),
            (ably.OptionalBoolean("tls", "false for plain HTTP to a local endpoint"), ably.Field("tls")));
        return (apiKey, restHost, port, tls, ably.OptionalBoolean("compatibleMessages", "true to publish exactly what the Node.js connector published"));
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
