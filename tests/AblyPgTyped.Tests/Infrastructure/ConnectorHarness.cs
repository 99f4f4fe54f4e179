using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
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

    /// <summary>The WAL insert position after the latest write of the test (logical mode), as a 64-bit LSN; only ever moves forward.</summary>
    private long _lastWrite;

    private ConnectorHarness(string connectionString, LocalAblyServer ably, NpgsqlDataSource database, CaptureMode capture)
    {
        ConnectionString = connectionString;
        Ably = ably;
        Database = database;
        Capture = capture;
    }

    /// <summary>The capture mode of every connector this harness starts (in its own process too).</summary>
    public CaptureMode Capture { get; }

    public string ConnectionString { get; }

    public LocalAblyServer Ably { get; }

    public NpgsqlDataSource Database { get; }

    public TestLoggerFactory Logs { get; } = new();

    public static Task<ConnectorHarness> StartAsync(PostgresFixture postgres, params string[] schema) =>
        StartAsync(postgres, CaptureMode.Triggers, schema);

    public static Task<ConnectorHarness> StartAsync(PostgresFixture postgres, CaptureMode capture, params string[] schema) =>
        StartAsync(postgres, capture, _ => { }, schema);

    /// <summary>A harness whose endpoint <paramref name="configureAbly"/> sets up (its plan, say).</summary>
    public static async Task<ConnectorHarness> StartAsync(PostgresFixture postgres, CaptureMode capture, Action<LocalAblyOptions> configureAbly, params string[] schema)
    {
        var connectionString = await postgres.Server.CreateDatabaseAsync();
        var ablyOptions = new LocalAblyOptions { ApiKeys = { ApiKey } };
        configureAbly(ablyOptions);
        var ably = await LocalAblyServer.StartAsync(ablyOptions);
        var harness = new ConnectorHarness(connectionString, ably, NpgsqlDataSource.Create(connectionString), capture);
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
            Capture = Capture,
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
        await NoteWriteAsync();
    }

    /// <summary>
    /// Records that the test wrote (in logical mode, where <see cref="BacklogAsync"/> waits for the slot to pass the
    /// latest write); <see cref="ExecuteAsync"/> calls it, a test that writes otherwise calls it after its writes.
    /// Concurrent writers may call it in any order: the latest position wins.
    /// </summary>
    public async Task NoteWriteAsync()
    {
        if (Capture != CaptureMode.LogicalReplication)
        {
            return;
        }

        // pg_lsn minus '0/0' is the position as a number.
        var written = (long)await ScalarAsync<decimal>("SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn");
        var seen = Interlocked.Read(ref _lastWrite);
        while (written > seen && Interlocked.CompareExchange(ref _lastWrite, written, seen) != seen)
        {
            seen = Interlocked.Read(ref _lastWrite);
        }
    }

    /// <summary>
    /// What capture still holds unpublished: with triggers, the store's rows; with logical replication, 1 until the slot
    /// has confirmed past the last write noted (<see cref="NoteWriteAsync"/>), then 0.
    /// </summary>
    public async Task<long> BacklogAsync()
    {
        if (Capture == CaptureMode.Triggers)
        {
            return await ScalarAsync<long>("SELECT count(*) FROM ablypg.changes");
        }

        await using var command = Database.CreateCommand(
            "SELECT count(*) FROM pg_replication_slots WHERE database = current_database() AND coalesce(confirmed_flush_lsn, '0/0') - '0/0'::pg_lsn < $1");
        command.Parameters.Add(new NpgsqlParameter<decimal> { TypedValue = Interlocked.Read(ref _lastWrite) });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>e.g. "12 change row(s) left in the store", or "the slot has not confirmed the last write": for failure messages.</summary>
    public async Task<string> DescribeBacklogAsync() => Capture == CaptureMode.Triggers
        ? $"{await BacklogAsync()} change row(s) left in the store"
        : await BacklogAsync() == 0 ? "the slot has confirmed the last write" : "the slot has not confirmed the last write";

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

        // Slots are cluster-wide and keep WAL: every test database gives its slot back (a killed connector's walsender
        // may still hold it for a moment).
        for (var attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                await ExecuteAsync(
                    "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = current_database() AND active_pid IS NOT NULL;" +
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database()");
                break;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectInUse)
            {
                await Task.Delay(100);
            }
        }

        await Database.DisposeAsync();
    }
}
