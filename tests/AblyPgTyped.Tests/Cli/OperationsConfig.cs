using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Config;
using Xunit;

namespace AblyPgTyped.Tests.Cli;

/// <summary>
/// Config files for the operations commands that hold only what they use, the database settings (and a capture schema),
/// with no table list and no Ably section: so every test of them also shows they need no API key.
/// </summary>
internal static class OperationsConfig
{
    /// <summary>config/default.json with <c>dbConfig</c> only (and <c>captureSchema</c> when given).</summary>
    public static string WriteJson(ConfigFolder folder, ConfigTarget target, string relativePath = "ops/default.json", string? captureSchema = null)
    {
        var root = new JsonObject
        {
            ["dbConfig"] = new JsonObject
            {
                ["host"] = target.Host,
                ["port"] = target.Port,
                ["user"] = target.User,
                ["password"] = target.Password,
                ["database"] = target.Database,
            },
        };
        if (captureSchema is not null)
        {
            root["captureSchema"] = captureSchema;
        }

        return folder.Write(relativePath, root.ToJsonString());
    }

    /// <summary>A .env file with DB_* only.</summary>
    public static string WriteEnv(ConfigFolder folder, ConfigTarget target, string relativePath = "ops/.env") =>
        folder.Write(relativePath, string.Join('\n',
            "DB_HOST=" + target.Host,
            "DB_PORT=" + target.Port.ToString(CultureInfo.InvariantCulture),
            "DB_USER=" + target.User,
            "DB_PASSWORD='" + target.Password + "'",
            "DB_NAME=" + target.Database) + "\n");

    /// <summary>Runs the CLI, expects exit 0 and nothing on stderr, and parses its JSON output.</summary>
    public static async Task<JsonElement> RunJsonAsync(params string[] args)
    {
        using var cli = await CliProcess.RunAsync(args);
        Assert.True(cli.ExitCode == 0 && cli.Error.Length == 0, $"ablypg {string.Join(' ', args)} exited {cli.ExitCode}.\nstdout:\n{cli.Output}\nstderr:\n{cli.Error}");
        using var document = JsonDocument.Parse(cli.Output, new JsonDocumentOptions { MaxDepth = 10_000 }); // a poison change may be deep
        return document.RootElement.Clone();
    }
}
