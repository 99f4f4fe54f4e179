using AblyPgTyped.Capture;
using AblyPgTyped.Config;
using Npgsql;
using Xunit;

namespace AblyPgTyped.Tests.Config;

/// <summary>What a valid configuration turns into: the connection string, the Ably endpoint, the options and the mappings.</summary>
public sealed class LoadedOptionsTests
{
    [Fact]
    public void Json_optional_keys_select_the_endpoint_schema_and_message_shape()
    {
        var options = Load("default.json", BadInputTests.Json(
            ably: """{"apiKey": "app.key:secret", "restHost": "127.0.0.1", "port": 8081, "tls": false, "compatibleMessages": true}""",
            extra: """, "captureSchema": "cdc" """));

        Assert.Equal(("app.key:secret", "127.0.0.1", 8081, false), (options.Ably.ApiKey, options.Ably.RestHost, options.Ably.Port, options.Ably.Tls));
        Assert.True(options.CompatibleMessages);
        Assert.Equal("cdc", options.CaptureSchema);
    }

    [Fact]
    public void Env_optional_keys_select_the_endpoint_schema_and_message_shape()
    {
        var options = Load(".env", BadInputTests.Env() + "ABLY_REST_HOST=localhost\nABLY_PORT=' 8081 '\nABLY_TLS=0\nABLY_COMPATIBLE_MESSAGES=TRUE\nABLYPG_CAPTURE_SCHEMA=cdc\n");

        Assert.Equal(("localhost", 8081, false), (options.Ably.RestHost, options.Ably.Port, options.Ably.Tls));
        Assert.True(options.CompatibleMessages);
        Assert.Equal("cdc", options.CaptureSchema);
    }

    [Fact]
    public void Tls_stays_on_unless_turned_off_and_tlsPort_is_the_https_port()
    {
        var options = Load("default.json", BadInputTests.Json(ably: """{"apiKey": "app.key:secret", "restHost": "ably.internal", "tlsPort": 8443}"""));
        Assert.Equal(("ably.internal", 8443, true), (options.Ably.RestHost, options.Ably.Port, options.Ably.Tls));

        var withTls = Load(".env", BadInputTests.Env() + "ABLY_TLS=true\nABLY_TLS_PORT=8443\n");
        Assert.Equal((null, 8443, true), (withTls.Ably.RestHost, withTls.Ably.Port, withTls.Ably.Tls));
    }

    [Fact]
    public void The_connection_string_is_built_value_by_value()
    {
        const string Password = "p;ss'w\"rd; Database=evil";
        var options = Load("default.json", BadInputTests.Json(db: """{"host": "db.example.com", "port": "6543", "user": "app user", "password": "p;ss'w\"rd; Database=evil", "database": "my;db"}"""));

        var connection = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        Assert.Equal(("db.example.com", 6543, "app user", Password, "my;db"), (connection.Host, connection.Port, connection.Username, connection.Password, connection.Database));
    }

    [Fact]
    public void Host_and_port_default_to_localhost_and_5432_and_the_password_is_optional()
    {
        var fromJson = new NpgsqlConnectionStringBuilder(Load("default.json", BadInputTests.Json(db: """{"user": "u", "database": "d"}""")).ConnectionString);
        var fromEnv = new NpgsqlConnectionStringBuilder(Load(".env", "DB_USER=u\nDB_NAME=d\nABLY_API_KEY=a.b:c\nABLY_CONNECTOR='" + """[{"tablename":"t","ablychannelname":"c","operation":"insert"}]""" + "'\n").ConnectionString);

        foreach (var connection in new[] { fromJson, fromEnv })
        {
            Assert.Equal(("localhost", 5432, "u", null, "d"), (connection.Host, connection.Port, connection.Username, connection.Password, connection.Database));
        }
    }

    [Theory]
    [InlineData("true", SslMode.VerifyFull)]
    [InlineData("false", SslMode.Disable)]
    [InlineData("""{"rejectUnauthorized": false}""", SslMode.Require)]
    [InlineData("""{"rejectUnauthorized": true}""", SslMode.VerifyFull)]
    public void Node_postgres_ssl_maps_to_an_npgsql_ssl_mode(string ssl, SslMode expected)
    {
        var options = Load("default.json", BadInputTests.Json(db: """{"user": "u", "database": "d", "ssl": """ + ssl + "}"));

        Assert.Equal(expected, new NpgsqlConnectionStringBuilder(options.ConnectionString).SslMode);
    }

    [Fact]
    public void Entries_of_one_table_make_one_mapping_with_a_channel_per_operation()
    {
        var options = Load("default.json", BadInputTests.Json(connector: """
            [
              {"tablename": "users", "ablychannelname": "u-del", "operation": "delete"},
              {"tablename": "Orders", "ablychannelname": "orders:new", "operation": "Insert"},
              {"tablename": "users", "ablychannelname": "u-ins", "operation": "INSERT"}
            ]
            """));

        Assert.Collection(
            options.UntypedMappings,
            users => Assert.Equal(("public", "users", "u-ins", null, "u-del"), Channels(users)),
            orders => Assert.Equal(("public", "Orders", "orders:new", null, null), Channels(orders)));
    }

    [Fact]
    public void Unknown_keys_are_ignored_as_the_original_ignored_them_and_comments_are_allowed()
    {
        var options = Load("default.json", """
            {
              // the original's file, with extras
              "dbConfig": {"host": "h", "user": "u", "database": "d", "max": 10},
              "connector": [{"tablename": "t", "ablychannelname": "c", "operation": "UPDATE", "note": "x"},],
              "ably": {"apiKey": "a.b:c", "clientId": "me"},
              "logging": true
            }
            """);

        Assert.Equal("c", Assert.Single(options.UntypedMappings).ChannelTemplate(ChangeKind.Update));
    }

    private static (string, string, string?, string?, string?) Channels(ChangeMapping mapping) =>
        (mapping.Schema, mapping.TableName, mapping.ChannelTemplate(ChangeKind.Insert), mapping.ChannelTemplate(ChangeKind.Update), mapping.ChannelTemplate(ChangeKind.Delete));

    private static ConnectorOptions Load(string fileName, string content)
    {
        using var folder = new ConfigFolder();
        return OriginalConfiguration.Load(folder.Write(fileName, content));
    }
}
