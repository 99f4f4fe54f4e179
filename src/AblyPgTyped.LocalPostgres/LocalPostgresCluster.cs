using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AblyPgTyped.LocalPostgres;

/// <summary>
/// A throwaway PostgreSQL cluster in a fresh temporary directory, listening on 127.0.0.1 with
/// scram-sha-256 password authentication. Disposing stops the server and deletes the directory.
/// </summary>
/// <example>
/// <code>
/// await using var pg = await LocalPostgresCluster.StartAsync(new LocalPostgresOptions(), cancellationToken);
/// string db = await pg.CreateDatabaseAsync("test_db_x");
/// </code>
/// </example>
public sealed partial class LocalPostgresCluster : IPostgresServer
{
    /// <summary>Environment variable naming the directory with initdb/pg_ctl/postgres.</summary>
    public const string BinDirectoryEnvironmentVariable = "ABLYPG_PG_BIN";

    /// <summary>Environment variable with a connection string to an existing server, used by <see cref="FromEnvironmentOrStartAsync"/>.</summary>
    public const string ConnectionStringEnvironmentVariable = "ABLYPG_TEST_CONNECTION_STRING";

    private const string PasswordAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private readonly PostgresBinaries binaries;
    private readonly string? runAsUser;
    private readonly ILogger logger;
    private readonly TimeSpan startTimeout;
    private readonly SemaphoreSlim lifecycle = new(1, 1);
    private readonly List<string> createdDatabases = new();
    private IDisposable? exitRegistration;
    private int? postmasterPid;
    private bool disposed;

    private LocalPostgresCluster(PostgresBinaries binaries, string? runAsUser, string rootDirectory, LocalPostgresOptions options, ILogger logger)
    {
        this.binaries = binaries;
        this.runAsUser = runAsUser;
        this.logger = logger;
        startTimeout = options.StartTimeout;
        RootDirectory = rootDirectory;
        DataDirectory = Path.Combine(rootDirectory, "data");
        SocketDirectory = Path.Combine(rootDirectory, "sock");
        LogFile = Path.Combine(rootDirectory, "postgres.log");
        Username = options.Username;
        Password = options.Password ?? RandomNumberGenerator.GetString(PasswordAlphabet, 24);
        Port = options.Port != 0 ? options.Port : FreePort.Pick();
        ConnectionString = BuildConnectionString(Password);
    }

    /// <summary>Loopback TCP port the server listens on (stable across <see cref="StartAgainAsync"/>).</summary>
    public int Port { get; private set; }

    /// <summary>The cluster's private temporary directory (<c>/tmp/ablypg-pg-XXXXXXXX</c>); deleted on dispose.</summary>
    public string RootDirectory { get; }

    /// <summary>PGDATA: <c>RootDirectory/data</c>.</summary>
    public string DataDirectory { get; }

    /// <summary>Directory of the server's Unix socket: <c>RootDirectory/sock</c>.</summary>
    public string SocketDirectory { get; }

    /// <summary>Server log file: <c>RootDirectory/postgres.log</c>.</summary>
    public string LogFile { get; }

    /// <summary>Directory of the initdb/pg_ctl/postgres binaries in use.</summary>
    public string BinDirectory => binaries.BinDirectory;

    /// <summary>Superuser name.</summary>
    public string Username { get; }

    /// <summary>Superuser password (scram-sha-256).</summary>
    public string Password { get; }

    /// <inheritdoc />
    public string ConnectionString { get; private set; }

    /// <inheritdoc />
    public Version ServerVersion { get; private set; } = new(0, 0);

    /// <inheritdoc />
    public bool OwnsServer => true;

    /// <summary>Pid of the postmaster while the server runs; <see langword="null"/> when stopped.</summary>
    public int? PostmasterProcessId => postmasterPid;

    /// <summary>Whether the postmaster process is alive.</summary>
    public bool IsRunning => postmasterPid is int pid && PostmasterProcess.IsAlive(pid);

    /// <summary>Wall-clock time <see cref="StartAsync"/> took, from locating binaries to the first successful connection.</summary>
    public TimeSpan StartupDuration { get; private set; }

    /// <summary>
    /// Creates, starts and connects to a new throwaway cluster.
    /// </summary>
    /// <param name="options">Optional settings; defaults are durable and loopback-only.</param>
    /// <param name="cancellationToken">Cancels start-up (the partial cluster is removed).</param>
    /// <exception cref="LocalPostgresException">Binaries are missing, or initdb/pg_ctl/connecting failed; the message includes the failed command and the server log tail.</exception>
    public static async Task<LocalPostgresCluster> StartAsync(LocalPostgresOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LocalPostgresOptions();
        var stopwatch = Stopwatch.StartNew();
        ServerConfiguration.Validate(options);
        var settings = ServerConfiguration.MergeSettings(options.ServerSettings);
        var logger = options.Logger ?? NullLogger.Instance;
        var binaries = PostgresBinaries.Locate(options.BinDirectory);
        var runAsUser = Environment.IsPrivilegedProcess ? options.OsUser : null;
        var parent = ScratchDirectory.ChooseParent(options.TempDirectory, runAsUser);
        var root = ScratchDirectory.Create(parent, "ablypg-pg-");

        LocalPostgresCluster cluster = new(binaries, runAsUser, root, options, logger);
        try
        {
            await cluster.InitializeAsync(options, parent, settings, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            try
            {
                await cluster.DisposeAsync().ConfigureAwait(false);
            }
            catch (LocalPostgresException cleanupError)
            {
                logger.LogWarning(cleanupError, "Cleanup after a failed start also failed");
            }

            throw;
        }

        cluster.StartupDuration = stopwatch.Elapsed;
        logger.LogInformation(
            "PostgreSQL {Version} started on 127.0.0.1:{Port} in {ElapsedMs} ms (data {DataDirectory})",
            cluster.ServerVersion,
            cluster.Port,
            (long)stopwatch.Elapsed.TotalMilliseconds,
            cluster.DataDirectory);
        return cluster;
    }

    /// <summary>
    /// Uses the existing server named by <see cref="ConnectionStringEnvironmentVariable"/> when that
    /// variable is set (not owned: dispose only drops databases created through it); otherwise starts
    /// a throwaway cluster with <paramref name="options"/>.
    /// </summary>
    public static async Task<IPostgresServer> FromEnvironmentOrStartAsync(LocalPostgresOptions? options = null, CancellationToken cancellationToken = default)
    {
        var connectionString = Environment.GetEnvironmentVariable(ConnectionStringEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return await ExternalPostgresServer.ConnectAsync(connectionString, options?.Logger, cancellationToken).ConfigureAwait(false);
        }

        return await StartAsync(options, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<string> CreateDatabaseAsync(string? name = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        name ??= PostgresAdmin.NewDatabaseName();
        await PostgresAdmin.ExecuteAsync(ConnectionString, "CREATE DATABASE " + PostgresAdmin.QuoteIdentifier(name), cancellationToken).ConfigureAwait(false);
        var connectionString = GetConnectionString(name);
        lock (createdDatabases)
        {
            createdDatabases.Add(connectionString);
        }

        return connectionString;
    }

    /// <inheritdoc />
    public string GetConnectionString(string database) => PostgresAdmin.WithDatabase(ConnectionString, database);

    /// <summary>
    /// Stops the server, keeping the data directory. <paramref name="immediate"/> uses
    /// <c>pg_ctl stop -m immediate</c> (no checkpoint: a simulated crash, recovered on the next start);
    /// otherwise <c>-m fast</c>, escalating to immediate if it does not finish in time.
    /// </summary>
    public async Task StopAsync(bool immediate = false, CancellationToken cancellationToken = default)
    {
        await lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            await StopCoreAsync(immediate, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lifecycle.Release();
        }
    }

    /// <summary>Starts the stopped server again on the same data directory and port, and waits until it accepts connections.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        await lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (IsRunning)
            {
                throw new InvalidOperationException("The server is already running.");
            }

            await StartServerAsync(retryOnPortConflict: false, cancellationToken).ConfigureAwait(false);
            await WaitForConnectionAsync(ConnectionString, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lifecycle.Release();
        }
    }

    /// <summary>
    /// Stops the server (fast, then immediate, then kill) and deletes <see cref="RootDirectory"/>.
    /// </summary>
    /// <exception cref="LocalPostgresException">The postmaster could not be stopped or the directory could not be deleted.</exception>
    public async ValueTask DisposeAsync()
    {
        await lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            LocalPostgresException? failure = null;
            try
            {
                await StopCoreAsync(immediate: false, TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
            }
            catch (LocalPostgresException ex)
            {
                failure = ex;
            }

            try
            {
                ScratchDirectory.Delete(RootDirectory);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                failure ??= new LocalPostgresException($"Could not delete '{RootDirectory}': {ex.Message}", ex);
            }

            exitRegistration?.Dispose();
            if (failure is not null)
            {
                throw failure;
            }
        }
        finally
        {
            lifecycle.Release();
        }
    }

    private string BuildConnectionString(string password) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = Username,
            Password = password,
            Database = "postgres",
        }.ConnectionString;

    private string[] KnownConnectionStrings()
    {
        lock (createdDatabases)
        {
            return createdDatabases.Append(ConnectionString).ToArray();
        }
    }
}
