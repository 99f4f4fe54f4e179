using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.LocalPostgres;
using Npgsql;

namespace AblyPgTyped.Benchmarks.Infrastructure;

/// <summary>The PostgreSQL server under test: a throwaway cluster with a normal install's settings, or the one ABLYPG_TEST_CONNECTION_STRING names.</summary>
internal sealed class PostgresTarget : IAsyncDisposable
{
    private readonly IPostgresServer _server;

    private PostgresTarget(IPostgresServer server, string binDirectory, string description)
    {
        _server = server;
        BinDirectory = binDirectory;
        Description = description;
    }

    /// <summary>The postmaster's process id when this program started the server; CPU is measured only then.</summary>
    public int? PostmasterProcessId => (_server as LocalPostgresCluster)?.PostmasterProcessId;

    /// <summary>Where pgbench is.</summary>
    public string BinDirectory { get; }

    /// <summary>Version and the settings that matter for write cost, as the server reports them.</summary>
    public string Description { get; }

    /// <summary>
    /// Starts the server: as a normal install (durable commits, the defaults; <c>wal_level=replica</c> rather than
    /// LocalPostgres's <c>logical</c>), or with <c>wal_level=logical</c> when <paramref name="logical"/>, as logical
    /// replication capture needs. An existing server must then have it already.
    /// </summary>
    public static async Task<PostgresTarget> StartAsync(bool logical = false)
    {
        var options = new LocalPostgresOptions();
        if (!logical)
        {
            options.ServerSettings["wal_level"] = "replica";
        }

        var server = await LocalPostgresCluster.FromEnvironmentOrStartAsync(options);
        try
        {
            var bin = server is LocalPostgresCluster cluster ? cluster.BinDirectory : FindBinDirectory();
            await using var connection = new NpgsqlConnection(server.ConnectionString);
            await connection.OpenAsync();
            var settings = new List<string>();
            foreach (var name in new[] { "fsync", "synchronous_commit", "wal_level", "shared_buffers", "max_connections" })
            {
                await using var show = new NpgsqlCommand($"SHOW {name}", connection);
                settings.Add($"{name}={await show.ExecuteScalarAsync()}");
            }

            if (logical && !settings.Contains("wal_level=logical"))
            {
                throw new InvalidOperationException($"The logical scenario needs wal_level = logical; the server has {settings.Single(s => s.StartsWith("wal_level=", StringComparison.Ordinal))}.");
            }

            await using var version = new NpgsqlCommand("SHOW server_version", connection);
            var owner = server.OwnsServer ? "throwaway cluster" : "existing server (ABLYPG_TEST_CONNECTION_STRING)";
            return new PostgresTarget(server, bin, $"PostgreSQL {await version.ExecuteScalarAsync()}, {owner}, {string.Join(", ", settings)}");
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A fresh database holding the benchmark tables.</summary>
    public async Task<BenchDatabase> CreateDatabaseAsync()
    {
        var connectionString = await _server.CreateDatabaseAsync();
        var database = new BenchDatabase(connectionString, PostmasterProcessId);
        foreach (var table in BenchTables.All)
        {
            await database.ExecuteAsync(BenchTables.Create(table));
        }

        return database;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private static string FindBinDirectory()
    {
        var configured = Environment.GetEnvironmentVariable(LocalPostgresCluster.BinDirectoryEnvironmentVariable);
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        var installed = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "pgbench")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var major) ? major : 0)
                .FirstOrDefault()
            : null;
        return installed ?? "";
    }
}

/// <summary>One fresh database of the run.</summary>
internal sealed class BenchDatabase(string connectionString, int? postmasterProcessId) : IAsyncDisposable
{
    public string ConnectionString { get; } = connectionString;

    /// <summary>The postmaster of the server the database is on, when this program started it (for <see cref="CpuMeter"/>).</summary>
    public int? PostmasterProcessId { get; } = postmasterProcessId;

    public NpgsqlDataSource Source { get; } = NpgsqlDataSource.Create(connectionString);

    public async Task ExecuteAsync(string sql, int timeoutSeconds = 600)
    {
        await using var command = Source.CreateCommand(sql);
        command.CommandTimeout = timeoutSeconds;
        await command.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = Source.CreateCommand(sql);
        command.CommandTimeout = 600;
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Empties the benchmark tables and the capture store, and checkpoints, so that runs start alike.</summary>
    public async Task ResetTablesAsync()
    {
        await ExecuteAsync($"TRUNCATE {string.Join(", ", BenchTables.All)} RESTART IDENTITY");
        if (await ScalarAsync<bool>("SELECT to_regclass('ablypg.changes') IS NOT NULL"))
        {
            // Never restart the store's identity: message ids derive from it, and the endpoint de-duplicates them.
            await ExecuteAsync("TRUNCATE ablypg.changes");
        }

        try
        {
            await ExecuteAsync("CHECKPOINT");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            // Not a superuser on an existing server: runs start with whatever the checkpointer is doing.
        }
    }

    /// <summary>
    /// Moves the database's replication slot (logical capture, no connector streaming from it) to the end of the WAL,
    /// skipping what it kept: a measured run then starts with no WAL held for earlier runs, on any database of the server.
    /// </summary>
    public Task AdvanceSlotAsync() =>
        ExecuteAsync("SELECT pg_replication_slot_advance(slot_name, pg_current_wal_lsn()) FROM pg_replication_slots WHERE database = current_database()");

    public ValueTask DisposeAsync() => Source.DisposeAsync();
}
