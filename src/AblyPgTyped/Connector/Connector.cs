using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using AblyPgTyped.Capture.Logical;
using AblyPgTyped.Draining;
using AblyPgTyped.Publishing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AblyPgTyped;

/// <summary>
/// Streams the captured changes of the mapped tables to Ably. Start it in any number of processes: one is active
/// (it installs capture and publishes), the others stand by and take over within seconds when it dies.
/// </summary>
/// <example>
/// <code>
/// var options = new ConnectorOptions { ConnectionString = "Host=…", Ably = { ApiKey = "app.key:secret" } };
/// foreach (var table in AblyPgTables.All) options.Tables.Add(table);
/// await using var connector = new Connector(options)
///     .On&lt;User&gt;(ChangeKind.Insert, (change, ct) => { Console.WriteLine(change.New); return Task.CompletedTask; });
/// await connector.StartAsync();
/// </code>
/// </example>
public sealed class Connector : IAsyncDisposable
{
    private readonly ConnectorOptions _options;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly List<ChangeMapping> _mappings = [];
    private readonly Dictionary<Type, ChangeMapping> _typed = [];
    private readonly CancellationTokenSource _stopping = new();
    private NpgsqlDataSource? _sessions;
    private AblyRestPublisher? _publisher;
    private Task? _running;
    private volatile bool _isActive;

    /// <summary>Creates a connector; nothing connects until <see cref="StartAsync"/>.</summary>
    /// <exception cref="AblyConfigurationException">A setting is missing or invalid; the message names it.</exception>
    public Connector(ConnectorOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<Connector>();
        foreach (var table in options.Tables)
        {
            var mapping = table.CreateMapping();
            _typed[table.RowType] = mapping;
            _mappings.Add(mapping);
        }

        _mappings.AddRange(options.UntypedMappings);
        var duplicate = _mappings.GroupBy(m => (m.Schema, m.TableName)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new AblyConfigurationException($"Table {duplicate.First().DisplayName} is mapped more than once; one table has one mapping.");
        }
    }

    /// <summary>
    /// Creates a connector from the Node.js original's configuration: its <c>config/default.json</c>
    /// (<c>dbConfig</c>, <c>connector</c>, <c>ably</c>) or its <c>.env</c> file (<c>DB_HOST</c>, …, <c>ABLY_CONNECTOR</c>);
    /// with no path, from the process environment in the <c>.env</c> names. Rows are published as JSON.
    /// </summary>
    /// <exception cref="AblyConfigurationException">The file is missing or malformed; the message names the file, the field and the problem.</exception>
    public Connector(string? configPath = null, ILoggerFactory? loggerFactory = null)
        : this(Config.OriginalConfiguration.Load(configPath), loggerFactory)
    {
    }

    /// <summary>Whether this instance is the active connector (the others stand by).</summary>
    public bool IsActive => _isActive;

    /// <summary>
    /// Calls <paramref name="handler"/> for each captured change of kind <paramref name="kind"/> to <typeparamref name="T"/>'s table.
    /// Handlers run after Ably accepted the change, in position order, at least once (a crash before the change is
    /// forgotten runs them again on restart). A handler that throws is logged; the stream goes on.
    /// </summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> is not mapped, or does not capture <paramref name="kind"/>.</exception>
    public Connector On<T>(ChangeKind kind, Func<Change<T>, CancellationToken, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (_running is not null)
        {
            throw new InvalidOperationException("Register handlers before StartAsync.");
        }

        if (!_typed.TryGetValue(typeof(T), out var mapping) || mapping is not TypedMapping<T> typed)
        {
            throw new InvalidOperationException($"{typeof(T).Name} is not mapped: add its AblyPgTables entry to ConnectorOptions.Tables.");
        }

        if (!typed.Table.Captures(kind))
        {
            throw new InvalidOperationException(
                $"{typeof(T).Name} does not capture {kind.ToString().ToLowerInvariant()}s: give [AblyTable] a {kind} channel.");
        }

        typed.AddHandler(kind, handler);
        return this;
    }

    /// <summary>
    /// Connects, and either becomes the active connector (installing or reconciling capture first) or starts standing by.
    /// Returns once that is done; publishing goes on in the background until <see cref="StopAsync"/>.
    /// </summary>
    /// <exception cref="ConnectorStartException">The database cannot be reached, refuses the credentials, or does not fit the mappings.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_running is not null)
        {
            throw new InvalidOperationException("The connector is already started.");
        }

        _sessions = CreateSessionSource();
        _publisher = new AblyRestPublisher(_options.Ably, _loggerFactory.CreateLogger<AblyRestPublisher>());
        LeaderSession? session = null;
        Installation? installation = null;
        try
        {
            session = await LeaderSession.TryAcquireAsync(_sessions, _options.CaptureSchema, cancellationToken);
            if (session is not null)
            {
                installation = await InstallAsync(session.Connection, cancellationToken);
            }
        }
        catch (Exception e) when (e is NpgsqlException or CaptureInstallException or TimeoutException or System.Net.Sockets.SocketException)
        {
            if (session is not null)
            {
                await session.DisposeAsync(); // leadership goes with it: another instance may start
            }

            throw new ConnectorStartException(DescribeStartFailure(e), e);
        }

        _running = Task.Run(() => RunAsync(session, installation, _stopping.Token), CancellationToken.None);
    }

    /// <summary>
    /// Stops publishing. A cycle in flight either completes or is left whole for the next start (its changes are
    /// then published again with the same ids, which Ably discards within its 2-minute window).
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_running is null)
        {
            return;
        }

        await _stopping.CancelAsync();
        await _running.WaitAsync(cancellationToken);
    }

    /// <summary>The DDL this connector installs (capture store and every mapping's triggers), for a DBA to review or apply.</summary>
    public string GetInstallSql() => _options.GetInstallSql();

    /// <summary>The DDL that removes everything the connector installs.</summary>
    public string GetUninstallSql() => _options.GetUninstallSql();

    /// <summary>
    /// Removes everything the connector installed in this database: every capture trigger and function, the capture
    /// store (with changes not yet published), the control and dead-letter tables. Stop the connectors first.
    /// </summary>
    public async Task UninstallAsync(CancellationToken cancellationToken = default)
    {
        await using var source = CreateSessionSource();
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await LogicalCaptureInstaller.UninstallAsync(connection, _options.CaptureSchema, cancellationToken);
        await CaptureInstaller.UninstallAsync(connection, _options.CaptureSchema, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _publisher?.Dispose();
        if (_sessions is not null)
        {
            await _sessions.DisposeAsync();
        }

        _stopping.Dispose();
    }

    private async Task RunAsync(LeaderSession? session, Installation? installation, CancellationToken stopping)
    {
        var mappings = _mappings.ToDictionary(m => (m.Schema, m.TableName));
        var failures = 0;
        var announcedStandby = false;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (session is null)
                {
                    session = await LeaderSession.TryAcquireAsync(_sessions!, _options.CaptureSchema, stopping);
                    if (session is null)
                    {
                        if (!announcedStandby)
                        {
                            ConnectorLog.StandingBy(_logger, _options.CaptureSchema);
                            announcedStandby = true;
                        }

                        await Task.Delay(_options.StandbyRetryInterval, stopping);
                        continue;
                    }

                    installation = await InstallAsync(session.Connection, stopping);
                }

                _isActive = true;
                announcedStandby = false;
                ConnectorLog.BecameActive(_logger, _options.CaptureSchema, _mappings.Count);
                failures = 0;
                await using var fence = new LeaderFence(_sessions!, session.Connection.ProcessID, _options.CaptureSchema);
                var drain = new ChangeDrain(_options, mappings, _publisher!, fence, installation!.InstallId, _logger);
                ICaptureSource source = installation.Logical is { } logical
                    ? await LogicalCaptureSource.StartAsync(_options.ConnectionString!, _sessions!, session.Connection, logical, mappings, _options.CaptureSchema, _logger, stopping)
                    : new TriggerCaptureSource(session.Connection, _options.CaptureSchema);
                try
                {
                    await drain.RunAsync(source, stopping);
                }
                finally
                {
                    if (source is IAsyncDisposable disposable)
                    {
                        await disposable.DisposeAsync();
                    }
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                _isActive = false;
                if (session is not null)
                {
                    await session.DisposeAsync();
                    session = null;
                }

                var delay = TimeSpan.FromMilliseconds(Math.Min(_options.MaxRetryDelay.TotalMilliseconds, 500 * Math.Pow(2, Math.Min(failures++, 10))));
                if (e is CaptureInstallException)
                {
                    ConnectorLog.InstallFailed(_logger, delay, e);
                }
                else
                {
                    ConnectorLog.SessionLost(_logger, delay, e);
                }

                try
                {
                    await Task.Delay(delay, stopping);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        _isActive = false;
        if (session is not null)
        {
            await session.DisposeAsync();
        }

        ConnectorLog.Stopped(_logger);
    }

    /// <summary>What the active connector installed: the id that prefixes message ids and, in logical-replication mode, the slot's setup.</summary>
    private sealed record Installation(string InstallId, LogicalSetup? Logical);

    /// <summary>Installs or reconciles capture in the configured mode, on the leader's session.</summary>
    private async Task<Installation> InstallAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (_options.Capture == CaptureMode.LogicalReplication)
        {
            var setup = await LogicalCaptureInstaller.InstallAsync(connection, _options.CaptureSchema, _mappings, _logger, cancellationToken);
            return new Installation(setup.InstallId, setup);
        }

        await LogicalCaptureInstaller.RefuseTriggersOverSlotAsync(connection, _options.CaptureSchema, cancellationToken);
        return new Installation(await CaptureInstaller.InstallAsync(connection, _options.CaptureSchema, _mappings, cancellationToken), null);
    }

    /// <summary>Unpooled, so that closing the leader's connection ends its session and releases leadership.</summary>
    private NpgsqlDataSource CreateSessionSource()
    {
        var builder = new NpgsqlConnectionStringBuilder(_options.ConnectionString)
        {
            Pooling = false,
            KeepAlive = 10,
            ApplicationName = "AblyPgTyped connector",
        };
        return NpgsqlDataSource.Create(builder);
    }

    private string DescribeStartFailure(Exception e)
    {
        var builder = new NpgsqlConnectionStringBuilder(_options.ConnectionString);
        var target = $"{builder.Host}:{builder.Port}/{builder.Database}";
        return e switch
        {
            PostgresException { SqlState: PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification } =>
                $"PostgreSQL at {target} refused user '{builder.Username}': wrong user name or password.",
            PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName } => $"Database '{builder.Database}' does not exist on {builder.Host}:{builder.Port}.",
            PostgresException pe => $"PostgreSQL at {target} failed: {pe.MessageText}",
            CaptureInstallException => e.Message,
            _ => $"Cannot reach PostgreSQL at {target}: {e.Message}",
        };
    }
}

/// <summary>The connector could not start; the message says what to fix. The password never appears in it.</summary>
public sealed class ConnectorStartException(string message, Exception inner) : Exception(message, inner);
