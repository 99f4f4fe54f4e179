using AblyPgTyped.Capture;
using AblyPgTyped.Config;
using Npgsql;
using Xunit;

namespace AblyPgTyped.Tests.Config;

/// <summary>The example files load as they are, and the JSON and .env forms of one example mean the same.</summary>
public sealed class ExampleFilesTests
{
    [Theory]
    [InlineData("config/default.json", false)]
    [InlineData("config/.env", false)]
    [InlineData("all-operations/default.json", true)]
    [InlineData("all-operations/.env", true)]
    public void Examples_load_unchanged(string example, bool allOperations)
    {
        var options = OriginalConfiguration.Load(ConfigFolder.Example(example));

        var connection = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        Assert.Equal(("localhost", 5432, "postgres", "postgres", "mydb"), (connection.Host, connection.Port, connection.Username, connection.Password, connection.Database));
        Assert.Equal("appId.keyId:keySecret", options.Ably.ApiKey);
        Assert.Equal((null, null, true), (options.Ably.RestHost, options.Ably.Port, options.Ably.Tls));
        Assert.False(options.CompatibleMessages);
        Assert.Equal(CaptureSql.DefaultSchema, options.CaptureSchema);
        Assert.Empty(options.Tables);
        var mapping = Assert.IsType<UntypedMapping>(Assert.Single(options.UntypedMappings));
        Assert.Equal(("public", "users"), (mapping.Schema, mapping.TableName));
        Assert.Equal("ably-users-added", mapping.ChannelTemplate(ChangeKind.Insert));
        Assert.Equal(allOperations ? "ably-users-updated" : null, mapping.ChannelTemplate(ChangeKind.Update));
        Assert.Equal(allOperations ? "ably-users-removed" : null, mapping.ChannelTemplate(ChangeKind.Delete));
        Assert.Null(mapping.Columns);
    }

    [Theory]
    [InlineData("config")]
    [InlineData("all-operations")]
    public async System.Threading.Tasks.Task Json_and_env_forms_install_the_same_capture(string example)
    {
        await using var fromJson = new Connector(ConfigFolder.Example(example + "/default.json"));
        await using var fromEnv = new Connector(ConfigFolder.Example(example + "/.env"));

        Assert.Equal(fromJson.GetInstallSql(), fromEnv.GetInstallSql());
        Assert.Contains("CREATE TRIGGER \"ablypg_capture_insert\" AFTER INSERT ON \"public\".\"users\"", fromJson.GetInstallSql(), System.StringComparison.Ordinal);
    }
}
