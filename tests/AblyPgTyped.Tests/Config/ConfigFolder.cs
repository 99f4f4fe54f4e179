using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Npgsql;

namespace AblyPgTyped.Tests.Config;

/// <summary>Where a copy of an example config points: a test database and the local Ably endpoint.</summary>
public sealed record ConfigTarget(string Host, int Port, string User, string? Password, string Database, string ApiKey, int AblyPort)
{
    public static ConfigTarget Of(ConnectorHarness harness)
    {
        var builder = new NpgsqlConnectionStringBuilder(harness.ConnectionString);
        return new ConfigTarget(builder.Host!, builder.Port, builder.Username!, builder.Password, builder.Database!, ConnectorHarness.ApiKey, harness.Ably.Port);
    }
}

/// <summary>
/// A temporary folder of config files, deleted on dispose. The example files (Config/Examples, in the original's shapes)
/// are copied with their values pointed at a <see cref="ConfigTarget"/>, plus the keys that select the local endpoint.
/// </summary>
public sealed class ConfigFolder : IDisposable
{
    public ConfigFolder()
    {
        FullPath = Path.Combine(Path.GetTempPath(), "ablypg-config-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(FullPath);
    }

    /// <summary>tests/AblyPgTyped.Tests/Config/Examples in the source tree.</summary>
    public static string ExamplesFolder { get; } = LocateExamples();

    public string FullPath { get; }

    public static string Example(string relativePath) => Path.Combine(ExamplesFolder, relativePath);

    public string Write(string relativePath, string text)
    {
        var path = Path.Combine(FullPath, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Copies a JSON example with dbConfig, ably.apiKey and the local endpoint's keys set; <paramref name="edit"/> may change more.</summary>
    public string WriteJsonExample(string example, ConfigTarget target, Action<JsonObject>? edit = null)
    {
        var root = JsonNode.Parse(File.ReadAllText(Example(example)))!.AsObject();
        var db = root["dbConfig"]!.AsObject();
        db["host"] = target.Host;
        db["port"] = target.Port;
        db["user"] = target.User;
        db["password"] = target.Password;
        db["database"] = target.Database;
        var ably = root["ably"]!.AsObject();
        ably["apiKey"] = target.ApiKey;
        ably["restHost"] = "127.0.0.1";
        ably["port"] = target.AblyPort;
        ably["tls"] = false;
        edit?.Invoke(root);
        return Write(example, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Copies a .env example with the DB_* and ABLY_API_KEY values replaced (other lines unchanged) and the local endpoint's keys added.</summary>
    public string WriteEnvExample(string example, ConfigTarget target, params string[] extraLines)
    {
        string? Replacement(string key) => key switch
        {
            "DB_HOST" => target.Host,
            "DB_PORT" => target.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "DB_USER" => target.User,
            "DB_PASSWORD" => "'" + target.Password + "'",
            "DB_NAME" => target.Database,
            "ABLY_API_KEY" => target.ApiKey,
            _ => null,
        };

        var lines = File.ReadAllLines(Example(example)).Select(line =>
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            return equals > 0 && !line.StartsWith('#') && Replacement(line[..equals].Trim()) is { } value ? line[..(equals + 1)] + value : line;
        });
        string[] endpoint = ["ABLY_REST_HOST=127.0.0.1", "ABLY_PORT=" + target.AblyPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "ABLY_TLS=false"];
        return Write(example, string.Join('\n', lines.Concat(endpoint).Concat(extraLines)) + "\n");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(FullPath, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string LocateExamples() => RepositoryPaths.Combine("tests", "AblyPgTyped.Tests", "Config", "Examples");
}
