using System;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Config;
using AblyPgTyped.Tests.Infrastructure;
using Xunit;

namespace AblyPgTyped.Tests.Cli;

/// <summary><c>ablypg grants --role NAME</c>: the GRANT script for a least-privilege connector role.</summary>
public sealed class GrantsCommandTests
{
    [Fact]
    public async Task Grants_prints_the_script_for_the_configured_database_and_capture_schema()
    {
        using var folder = new ConfigFolder();
        var target = new ConfigTarget("127.0.0.1", 5432, "dba", "s3cret-dba", "shop", ConnectorHarness.ApiKey, 9);
        var path = folder.WriteJsonExample("config/default.json", target, root => root["captureSchema"] = "cdc");

        using var grants = await CliProcess.RunAsync("grants", "--role", "app_connector", path);
        using var equals = await CliProcess.RunAsync("grants", "--role=app_connector", path);

        Assert.Equal((0, ""), (grants.ExitCode, grants.Error));
        Assert.StartsWith("-- Least privilege for the connector role \"app_connector\"", grants.Output, StringComparison.Ordinal);
        Assert.Contains("GRANT CONNECT ON DATABASE \"shop\" TO \"app_connector\";\n", grants.Output, StringComparison.Ordinal);
        Assert.Contains("GRANT USAGE ON SCHEMA \"cdc\" TO \"app_connector\";\n", grants.Output, StringComparison.Ordinal);
        Assert.Contains("GRANT SELECT, UPDATE, DELETE ON TABLE \"cdc\".\"changes\" TO \"app_connector\";", grants.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-dba", grants.Output, StringComparison.Ordinal);
        Assert.Equal(grants.Output, equals.Output);
    }

    [Fact]
    public async Task Grants_without_a_role_is_a_usage_error()
    {
        using var missing = await CliProcess.RunAsync("grants");
        using var empty = await CliProcess.RunAsync("grants", "--role");

        Assert.Equal((2, "ablypg: error: grants needs --role NAME: the role the connector runs as (run 'ablypg --help' for usage)\n"), (missing.ExitCode, missing.Error));
        Assert.Equal((2, "ablypg: error: --role needs the name of the connector's role (run 'ablypg --help' for usage)\n"), (empty.ExitCode, empty.Error));
    }
}
