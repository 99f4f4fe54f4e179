using System;
using System.Collections.Generic;
using System.Linq;
using AblyPgTyped.Config;
using AblyPgTyped.Publishing;
using Npgsql;
using Xunit;

namespace AblyPgTyped.Tests.Config;

/// <summary>Tests that change the process environment run alone, after every parallel test: one collection, no parallelism.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection
{
    public const string Name = "process environment";
}

/// <summary><see cref="Connector.FromEnvironment"/> (and the CLI with no CONFIG) reads the original's variables from the process environment.</summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class EnvironmentModeTests
{
    private static readonly string[] Names =
    [
        "DB_HOST", "DB_PORT", "DB_USER", "DB_PASSWORD", "DB_NAME", "ABLY_API_KEY", "ABLY_CONNECTOR",
        "ABLY_REST_HOST", "ABLY_PORT", "ABLY_TLS_PORT", "ABLY_TLS", "ABLY_COMPATIBLE_MESSAGES", "ABLYPG_CAPTURE_SCHEMA",
    ];

    private static Dictionary<string, string?> Complete => new()
    {
        ["DB_HOST"] = "db.internal",
        ["DB_PORT"] = "6543",
        ["DB_USER"] = "app",
        ["DB_PASSWORD"] = "pa55-secret",
        ["DB_NAME"] = "shop",
        ["ABLY_API_KEY"] = "app.key:k3y-secret",
        ["ABLY_CONNECTOR"] = """[{"tablename":"users","ablychannelname":"ably-users-added","operation":"INSERT"},{"tablename":"users","ablychannelname":"ably-users-removed","operation":"DELETE"}]""",
        ["ABLY_REST_HOST"] = "127.0.0.1",
        ["ABLY_PORT"] = "8081",
        ["ABLY_TLS"] = "false",
        ["ABLY_COMPATIBLE_MESSAGES"] = "1",
        ["ABLYPG_CAPTURE_SCHEMA"] = "cdc",
    };

    [Fact]
    public void No_path_reads_the_process_environment()
    {
        ConnectorOptions options;
        using (Set(Complete))
        {
            options = OriginalConfiguration.Load(null);
        }

        var connection = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        Assert.Equal(("db.internal", 6543, "app", "pa55-secret", "shop"), (connection.Host, connection.Port, connection.Username, connection.Password, connection.Database));
        Assert.Equal(("app.key:k3y-secret", "127.0.0.1", 8081, false), (options.Ably.ApiKey, options.Ably.RestHost, options.Ably.Port, options.Ably.Tls));
        Assert.True(options.CompatibleMessages);
        Assert.Equal("cdc", options.CaptureSchema);
        var mapping = Assert.Single(options.UntypedMappings);
        Assert.Equal(("ably-users-added", null, "ably-users-removed"), (mapping.ChannelTemplate(ChangeKind.Insert), mapping.ChannelTemplate(ChangeKind.Update), mapping.ChannelTemplate(ChangeKind.Delete)));
    }

    [Fact]
    public async System.Threading.Tasks.Task FromEnvironment_reads_the_environment_and_restores_it()
    {
        var before = Snapshot();
        string sql;
        using (Set(Complete))
        {
            await using var connector = Connector.FromEnvironment();
            sql = connector.GetInstallSql();
        }

        Assert.Contains("AFTER INSERT ON \"public\".\"users\"", sql, StringComparison.Ordinal);
        Assert.Contains("AFTER DELETE ON \"public\".\"users\"", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("AFTER UPDATE", sql, StringComparison.Ordinal);
        Assert.Contains("CREATE SCHEMA IF NOT EXISTS \"cdc\"", sql, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public void An_empty_environment_says_what_to_set()
    {
        using (Set([]))
        {
            var error = Assert.Throws<AblyConfigurationException>(() => Connector.FromEnvironment());

            Assert.Equal(
                "Environment holds no configuration: set DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME, ABLY_API_KEY and ABLY_CONNECTOR, or give the path of a config file (config/default.json or config/.env)",
                error.Message);
        }
    }

    [Fact]
    public void A_null_path_compiles_and_says_what_to_do_instead_of_reading_the_environment()
    {
        using (Set(Complete))
        {
            var error = Assert.Throws<ArgumentNullException>(() => new Connector(null!));

            Assert.Equal("configPath", error.ParamName);
            Assert.StartsWith(
                "Give the path of the original's config file (config/default.json or config/.env), or read the environment with Connector.FromEnvironment().",
                error.Message,
                StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Connector_has_no_constructor_that_reads_the_environment_silently()
    {
        Assert.DoesNotContain(typeof(Connector).GetConstructors(), c => c.GetParameters().All(p => p.IsOptional));
    }

    [Theory]
    [InlineData("ABLY_CONNECTOR", """[{"tablename":"users","ablychannelname":"c","operation":"drop"}]""", """Environment: ABLY_CONNECTOR[0].operation "drop" is not an operation: use INSERT, UPDATE or DELETE""")]
    [InlineData("ABLY_CONNECTOR", """[{tablename:users}]""", """Environment: ABLY_CONNECTOR is not valid JSON: position 3: 't' is an invalid start of a property name. Expected a '"'. (it has no double quotes: did a shell remove them? Put the whole value in single quotes)""")]
    [InlineData("DB_PORT", "5432x", """Environment: DB_PORT "5432x" is not a port number: use a whole number from 1 to 65535""")]
    [InlineData("DB_USER", "", "Environment: DB_USER is not set: the PostgreSQL user name")]
    [InlineData("ABLY_API_KEY", "k3y-secret", """Environment: ABLY_API_KEY has no ':' separator: expected the full API key "keyName:keySecret", not just one part of it""")]
    [InlineData("ABLY_TLS", "no", """Environment: ABLY_TLS "no" is not a boolean: use true, false, 1 or 0""")]
    public void Bad_variables_are_named(string name, string value, string expected)
    {
        var variables = Complete;
        variables[name] = value;
        using (Set(variables))
        {
            var error = Assert.Throws<AblyConfigurationException>(() => OriginalConfiguration.Load(""));

            Assert.Equal(expected, error.Message);
            Assert.DoesNotContain("pa55-secret", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("k3y-secret", error.Message, StringComparison.Ordinal);
        }
    }

    private static Dictionary<string, string?> Snapshot()
    {
        var values = new Dictionary<string, string?>();
        foreach (var name in Names)
        {
            values[name] = Environment.GetEnvironmentVariable(name);
        }

        return values;
    }

    /// <summary>Sets exactly <paramref name="variables"/> among the connector's names (the others unset) until disposed.</summary>
    private static Restore Set(Dictionary<string, string?> variables)
    {
        var saved = Snapshot();
        foreach (var name in Names)
        {
            Environment.SetEnvironmentVariable(name, variables.GetValueOrDefault(name));
        }

        return new Restore(saved);
    }

    private sealed class Restore(Dictionary<string, string?> saved) : IDisposable
    {
        public void Dispose()
        {
            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }
}
