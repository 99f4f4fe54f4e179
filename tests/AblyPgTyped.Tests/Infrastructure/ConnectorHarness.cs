using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.LocalAbly;
using AblyPgTyped.Tests.Shared;
using Npgsql;

namespace AblyPgTyped.Tests.Infrastructure;

/// <summary>A fresh database and a local Ably endpoint for one test, and connectors pointed at both.</summary>
public sealed class ConnectorHarness : IAsyncDisposable
{
    public const string ApiKey = "test.key:s3cr3t-value";

    private readonly List<Connector> _connectors = [];

    private ConnectorHarness(string connectionString, LocalAblyServer ably, NpgsqlDataSource database)
    {
        ConnectionString = connectionString;
        Ably = ably;
        Database = database;
    }

    public string ConnectionString { get; }

    public LocalAblyServer Ably { get; }

    public NpgsqlDataSource Database { get; }

    public TestLoggerFactory Logs { get; } = new();

    public static Task<ConnectorHarness> StartAsync(PostgresFixture postgres, params string[] schema) => StartAsync(postgres, _ => { }, schema);

    /// <summary>As <see cref="StartAsync(PostgresFixture, string[])"/>, with the local endpoint's options set by <paramref name="configureAbly"/>.</summary>
    public static async Task<ConnectorHarness> StartAsync(PostgresFixture postgres, Action<LocalAblyOptions> configureAbly, params string[] schema)
    {
        var connectionString = await postgres.Server.CreateDatabaseAsync();
        var ablyOptions = new LocalAblyOptions { ApiKeys = { ApiKey } };
        configureAbly(ablyOptions);
        var ably = await LocalAblyServer.StartAsync(ablyOptions);
        var harness = new ConnectorHarness(connectionString, ably, NpgsqlDataSource.Create(connectionString));
        foreach (var statement in schema)
        {
            await harness.ExecuteAsync(statement);
        }

        return harness;
    }

    /// <summary>
    /// Options for the local endpoint (Ably's Standard limits) over plain HTTP, with the given tables (default: all
    /// test mappings). Bundling is off, because most tests count one message per change; bundling has tests of its own.
    /// </summary>
    public ConnectorOptions Options(params AblyTable[] tables)
    {
        var options = new ConnectorOptions
        {
            ConnectionString = ConnectionString,
            Ably = { ApiKey = ApiKey, RestHost = "127.0.0.1", Port = Ably.Port, Tls = false, MaxRetryDuration = TimeSpan.FromSeconds(2) },
            MaxRetryDelay = TimeSpan.FromSeconds(1),
            StandbyRetryInterval = TimeSpan.FromMilliseconds(200),
            MaxChangesPerMessage = 1,
        };
        foreach (var table in tables.Length > 0 ? tables : AblyPgTables.All.ToArray())
        {
            options.Tables.Add(table);
        }

        return options;
    }

    public async Task<Connector> StartConnectorAsync(ConnectorOptions options, Action<Connector>? configure = null)
    {
        var connector = new Connector(options, Logs);
        configure?.Invoke(connector);
        _connectors.Add(connector);
        await connector.StartAsync();
        return connector;
    }

    public async Task ExecuteAsync(string sql, params object[] parameters)
    {
        await using var command = Database.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = Database.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Waits until the endpoint has accepted <paramref name="count"/> messages in all, or fails with what it has.</summary>
    public async Task<IReadOnlyList<ReceivedMessage>> WaitForMessagesAsync(int count, double seconds = 30) =>
        await Ably.WaitForMessagesAsync(count, TimeSpan.FromSeconds(seconds));

    public async ValueTask DisposeAsync()
    {
        foreach (var connector in _connectors)
        {
            await connector.DisposeAsync();
        }

        await Ably.DisposeAsync();
        await Database.DisposeAsync();
    }
}
