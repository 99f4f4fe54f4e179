using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Backfilling;
using AblyPgTyped.Capture;
using AblyPgTyped.Capture.Logical;
using AblyPgTyped.Draining;
using AblyPgTyped.Observability;
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
public sealed partial class Connector : IAsyncDisposable
{
    private readonly ConnectorOptions _options;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly List<ChangeMapping> _mappings = [];
    private readonly Dictionary<Type, ChangeMapping> _typed = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConnectorTelemetry _telemetry;
    private readonly StaleStoreCheck _storeGrowth;
    private NpgsqlDataSource? _sessions;
    private NpgsqlDataSource? _leaderSessions;
    private LeaderLease? _lease;
    private AblyRestPublisher? _publisher;
    private Task? _running;
    private volatile bool _isActive;
    private int _disposed;

    /// <summary>Creates a connector; nothing connects until <see cref="StartAsync"/>.</summary>
    /// <exception cref="AblyConfigurationException">A setting is missing or invalid; the message names it.</exception>
    public Connector(ConnectorOptions options, ILoggerFactory? loggerFactory = null)
        : this(options, loggerFactory, meterFactory: null)
    {
    }

    /// <summary>
    /// Creates a connector whose metrics go through <paramref name="meterFactory"/>'s <c>AblyPgTyped</c> meter (a host's
    /// <see cref="IMeterFactory"/>); without one, through a meter shared by the process. Nothing connects until <see cref="StartAsync"/>.
    /// </summary>
    /// <exception cref="AblyConfigurationException">A setting is missing or invalid; the message names it.</exception>
    public Connector(ConnectorOptions options, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<Connector>();
        _telemetry = new ConnectorTelemetry(options, meterFactory);
        _storeGrowth = new StaleStoreCheck(options, _logger);
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
    /// (<c>dbConfig</c>, <c>connector</c>, <c>ably</c>) or its <c>.env</c> file (<c>DB_HOST</c>, …, <c>ABLY_CONNECTOR</c>).
    /// Rows are published as JSON. <see cref="FromEnvironment"/> reads the process environment instead.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="configPath"/> is null.</exception>
    /// <exception cref="AblyConfigurationException">The file is missing or malformed; the message names the file, the field and the problem.</exception>
    [System.Runtime.CompilerServices.OverloadResolutionPriority(1)] // new Connector(null) binds here, and says what to do
    public Connector(string configPath, ILoggerFactory? loggerFactory = null)
        : this(Config.OriginalConfiguration.Load(RequirePath(configPath)), loggerFactory)
    {
    }

    /// <summary>
    /// Creates a connector from the process environment, in the names of the Node.js original's <c>.env</c> file
    /// (<c>DB_HOST</c>, <c>DB_PORT</c>, <c>DB_USER</c>, <c>DB_PASSWORD</c>, <c>DB_NAME</c>, <c>ABLY_API_KEY</c>,
    /// <c>ABLY_CONNECTOR</c>, …). Rows are published as JSON.
    /// </summary>
    /// <exception cref="AblyConfigurationException">A variable is missing or malformed; the message names it.</exception>
    public static Connector FromEnvironment(ILoggerFactory? loggerFactory = null) =>
        new(Config.OriginalConfiguration.LoadEnvironment(), loggerFactory);

    private static string RequirePath(string configPath) =>
        configPath ?? throw new ArgumentNullException(
            nameof(configPath),
            "Give the path of the original's config file (config/default.json or config/.env), or read the environment with Connector.FromEnvironment().");

    /// <summary>Whether the connector built its data sources (from the connection string), rather than being given one.</summary>
    private bool OwnsSessionSources => _options.DataSource is null;

    /// <summary>Whether this instance is the active connector (the others stand by).</summary>
    public bool IsActive => _isActive;

    /// <summary>
    /// How the connector is doing now: Healthy, Degraded or Unhealthy, with the reasons and the store's figures (the
    /// thresholds are <see cref="ConnectorOptions.Health"/>). The hosted connector's health check reports the same.
    /// Cheap: it judges what the connector already knows, and queries nothing.
    /// </summary>
    public ConnectorHealth Health => _telemetry.Status.Evaluate();

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

        if (kind != ChangeKind.Snapshot && !typed.Table.Captures(kind))
        {
            throw new InvalidOperationException(
                $"{typeof(T).Name} does not capture {kind.ToString().ToLowerInvariant()}s: give [AblyTable] a {kind} channel.");
        }

        typed.AddHandler(kind, handler);
        return this;
    }

    /// <summary>
    /// Connects, checks that the database fits the mappings (every mapped column's type, the capture schema, the role's
    /// rights), and either becomes the active connector (installing capture first if what is installed differs) or
    /// starts standing by. Returns once that is done; publishing goes on in the background until <see cref="StopAsync"/>.
    /// </summary>
    /// <exception cref="ConnectorStartException">The database cannot be reached, refuses the credentials, or does not fit the mappings.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_running is not null)
        {
            throw new InvalidOperationException("The connector is already started.");
        }

        _sessions = CreateSessionSource(leader: false);
        _leaderSessions = CreateSessionSource(leader: true);
        _lease = new LeaderLease(_options.CaptureSchema, _options.LeaseTimeout, _logger);
        _publisher = new AblyRestPublisher(_options.Ably, _loggerFactory.CreateLogger<AblyRestPublisher>());
        LeaderSession? session = null;
        CapturePlan? plan;
        try
        {
            session = await LeaderSession.TryAcquireAsync(_leaderSessions, _options.CaptureSchema, _options.LeaseTimeout, _lease, cancellationToken);
            if (session is not null)
            {
                plan = await PrepareCaptureAsync(session.Connection, install: true, cancellationToken);
            }
            else
            {
                // A standby checks its mappings now, so that a configuration that cannot work fails here, not at take-over.
                await using var probe = await _sessions.OpenConnectionAsync(cancellationToken);
                await PrepareCaptureAsync(probe, install: false, cancellationToken);
                plan = null;
            }
        }
        catch (Exception e) when (e is NpgsqlException or CaptureInstallException or TimeoutException or System.Net.Sockets.SocketException)
        {
            if (session is not null)
            {
                await session.DisposeAsync();
            }

            throw new ConnectorStartException(DescribeStartFailure(e), e);
        }

        _isActive = session is not null;
        _telemetry.Status.Started(_isActive);
        _telemetry.Observe();
        var monitor = new StoreMonitor(_sessions, _options, _telemetry.Status, _storeGrowth, _logger);
        _running = Task.WhenAll(
            Task.Run(() => RunAsync(session, plan, _stopping.Token), CancellationToken.None),
            Task.Run(() => monitor.RunAsync(_stopping.Token), CancellationToken.None));
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

    /// <summary>
    /// Publishes the rows that already exist in <typeparamref name="T"/>'s table, as <see cref="ChangeKind.Snapshot"/>
    /// changes on the channel each row's insert would use (or <see cref="BackfillOptions.Channel"/>). This records the
    /// request, durably, and returns; the active connector (this one or another) runs it chunk by chunk, resumes it after
    /// a restart or a take-over, and publishes the snapshots in position order with the live changes, so a subscriber never
    /// sees a snapshot after a newer change of its row. Follow it with <see cref="WaitForBackfillAsync"/> or
    /// <see cref="GetBackfillsAsync"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> is not mapped.</exception>
    /// <exception cref="AblyConfigurationException">The table has no primary key, or an option is not valid; the message says which.</exception>
    public Task<BackfillStatus> BackfillAsync<T>(BackfillOptions? options = null, CancellationToken cancellationToken = default) =>
        _typed.TryGetValue(typeof(T), out var mapping)
            ? BackfillAsync(mapping, options, cancellationToken)
            : throw new InvalidOperationException($"{typeof(T).Name} is not mapped: add its AblyPgTables entry to ConnectorOptions.Tables.");

    /// <summary>Publishes the rows that already exist in a mapped table (see <see cref="BackfillAsync{T}"/>).</summary>
    /// <param name="table">The table's name, as mapped (<c>users</c>, or <c>schema.users</c>); typed and configuration-file mappings alike.</param>
    /// <param name="options">Which rows, and on which channel.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<BackfillStatus> BackfillAsync(string table, BackfillOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        var matches = _mappings.Where(m => m.TableName == table || m.Schema + "." + m.TableName == table).ToList();
        if (matches.Count != 1)
        {
            throw new AblyConfigurationException(matches.Count == 0
                ? $"Table '{table}' is not mapped; the mapped tables are {string.Join(", ", _mappings.Select(m => m.DisplayName))}."
                : $"Table '{table}' is mapped in several schemas: name it as schema.table.");
        }

        return BackfillAsync(matches[0], options, cancellationToken);
    }

    /// <summary>The backfills recorded for this capture schema, newest first.</summary>
    public async Task<IReadOnlyList<BackfillStatus>> GetBackfillsAsync(CancellationToken cancellationToken = default)
    {
        await using var session = await OpenAsync(cancellationToken);
        return await BackfillStore.ListAsync(session.Connection, _options.CaptureSchema, id: null, limit: 100, cancellationToken);
    }

    /// <summary>
    /// Waits until backfill <paramref name="id"/> has recorded every row and, when <paramref name="published"/>, until
    /// Ably accepted them all (the store holds none of its snapshots). Returns its final status (also when it failed).
    /// </summary>
    public async Task<BackfillStatus> WaitForBackfillAsync(long id, bool published = true, IProgress<BackfillStatus>? progress = null, CancellationToken cancellationToken = default)
    {
        await using var session = await OpenAsync(cancellationToken);
        while (true)
        {
            var status = (await BackfillStore.ListAsync(session.Connection, _options.CaptureSchema, id, 1, cancellationToken)).FirstOrDefault()
                         ?? throw new InvalidOperationException($"There is no backfill {id}.");
            progress?.Report(status);
            if (!status.IsRunning && (!published || status.State != "done" || status.LastChange is null ||
                                      !await BackfillStore.PendingAsync(session.Connection, _options.CaptureSchema, id, cancellationToken)))
            {
                return status;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    private async Task<BackfillStatus> BackfillAsync(ChangeMapping mapping, BackfillOptions? options, CancellationToken cancellationToken)
    {
        await using var session = await OpenAsync(cancellationToken);
        var status = await BackfillStore.RequestAsync(session.Connection, _options.CaptureSchema, mapping, options ?? new BackfillOptions(), cancellationToken);
        LogMessages.Requested(_logger, status.Id, mapping.DisplayName, status.RowsEstimate);
        return status;
    }

    /// <summary>A connection for a request made outside the connector's loops, started or not.</summary>
    private async Task<OwnedConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var source = _sessions is null ? CreateSessionSource(leader: false) : null;
        var connection = await (source ?? _sessions!).OpenConnectionAsync(cancellationToken);
        return new OwnedConnection(connection, source);
    }

    private sealed class OwnedConnection(NpgsqlConnection connection, NpgsqlDataSource? source) : IAsyncDisposable
    {
        public NpgsqlConnection Connection { get; } = connection;

        public async ValueTask DisposeAsync()
        {
            await Connection.DisposeAsync();
            if (source is not null)
            {
                await source.DisposeAsync();
            }
        }
    }

    /// <summary>The complete install this connector runs, for a DBA to review or apply as the owner (see <see cref="ConnectorOptions.GetInstallSql"/>).</summary>
    public string GetInstallSql() => _options.GetInstallSql();

    /// <summary>The DDL that removes everything the connector installs, and nothing else.</summary>
    public string GetUninstallSql() => _options.GetUninstallSql();

    /// <summary>The GRANT script that lets <paramref name="role"/> run this connector and nothing more (see <see cref="ConnectorOptions.GetGrantSql"/>).</summary>
    public string GetGrantSql(string role) => _options.GetGrantSql(role);

    /// <summary>
    /// Removes everything the connector installed in this database, and nothing else: every capture trigger and
    /// function, the capture store (with changes not yet published), the control and dead-letter tables, then the
    /// capture schema if it is then empty. A schema that holds anything else is kept, and a warning (event 1114) names
    /// what it holds. Stop the connectors first.
    /// </summary>
    public async Task UninstallAsync(CancellationToken cancellationToken = default)
    {
        var source = CreateSessionSource(leader: false);
        try
        {
            await using var connection = await source.OpenConnectionAsync(cancellationToken);
            await LogicalCaptureInstaller.UninstallAsync(connection, _options.CaptureSchema, cancellationToken);
            var kept = await CaptureInstaller.UninstallAsync(connection, _options.CaptureSchema, cancellationToken);
            if (kept.Count > 0)
            {
                LogMessages.SchemaKept(_logger, CaptureSql.QuoteIdentifier(_options.CaptureSchema), CaptureInstaller.List(kept, 10));
            }
        }
        finally
        {
            if (OwnsSessionSources)
            {
                await source.DisposeAsync();
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // A host may hold the connector under two service keys, and dispose it once for each.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await StopAsync();
        _publisher?.Dispose();
        _telemetry.Dispose();
        if (_sessions is not null && OwnsSessionSources)
        {
            await _sessions.DisposeAsync();
        }

        if (_leaderSessions is not null && OwnsSessionSources)
        {
            await _leaderSessions.DisposeAsync();
        }

        _stopping.Dispose();
    }

    private async Task RunAsync(LeaderSession? session, CapturePlan? plan, CancellationToken stopping)
    {
        // The publish spans are roots: whatever activity called StartAsync is not their cause.
        Activity.Current = null;
        var failures = 0;
        long failingSince = 0;
        var announcedStandby = false;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (session is null)
                {
                    session = await LeaderSession.TryAcquireAsync(_leaderSessions!, _options.CaptureSchema, _options.LeaseTimeout, _lease, stopping);
                    if (session is null)
                    {
                        _telemetry.Status.StandingBy();
                        Reconnected(ref failures, failingSince);
                        if (!announcedStandby)
                        {
                            LogMessages.StandingBy(_logger, _options.CaptureSchema);
                            announcedStandby = true;
                        }

                        await Task.Delay(_options.StandbyRetryInterval, stopping);
                        continue;
                    }

                    plan = await PrepareCaptureAsync(session.Connection, install: true, stopping);
                }

                _isActive = true;
                _telemetry.Status.BecameActive();
                announcedStandby = false;
                LogMessages.BecameActive(_logger, _options.CaptureSchema, _mappings.Count - plan!.SetAside.Count);
                Reconnected(ref failures, failingSince);
                var journal = !_options.Bundles ? null
                    : plan.Logical is { } slot ? CutJournal.ForSlot(_options.CaptureSchema, slot.SlotName)
                    : CutJournal.ForStore(_options.CaptureSchema);
                await using var fence = new LeaderFence(_sessions!, session.Connection.ProcessID, session.LockedAt, _options.CaptureSchema, journal);
                var routes = Routes(plan);
                var drain = new ChangeDrain(_options, routes, _publisher!, fence, plan.InstallId!, _telemetry, _logger);

                // Backfills run beside the drain, on a connection of their own, for as long as this one leads.
                using var leading = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                var backfills = Task.Run(
                    () => new BackfillRunner(_sessions!, _options.CaptureSchema, plan.Logical?.SlotName, routes, _logger).RunAsync(leading.Token), CancellationToken.None);
                ICaptureSource source = plan.Logical is { } logical
                    ? await LogicalCaptureSource.StartAsync(_options.EffectiveConnectionString!, _sessions!, session.Connection, logical, routes, _options.CaptureSchema, _logger, stopping)
                    : new TriggerCaptureSource(session.Connection, _options.CaptureSchema);
                using var slotLag = source is Observability.ISlotLagSource lag ? _telemetry.AddSlotLag(lag) : null;
                try
                {
                    await drain.RunAsync(source, stopping);
                }
                finally
                {
                    await leading.CancelAsync();
                    await backfills;
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

                _telemetry.Status.SessionFailed(e.Message);
                var delay = TimeSpan.FromMilliseconds(Math.Min(_options.MaxRetryDelay.TotalMilliseconds, 500 * Math.Pow(2, Math.Min(failures, 10))));
                if (failures++ > 0)
                {
                    LogMessages.StillFailing(_logger, failures, e.Message, delay); // one warning per outage, not one per retry
                }
                else if (e is CaptureInstallException)
                {
                    failingSince = Stopwatch.GetTimestamp();
                    LogMessages.InstallFailed(_logger, delay, e);
                }
                else
                {
                    failingSince = Stopwatch.GetTimestamp();
                    LogMessages.SessionLost(_logger, delay, e);
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
        _telemetry.Status.Stopped();
        if (session is not null)
        {
            await session.DisposeAsync();
        }

        LogMessages.Stopped(_logger);
    }

    /// <summary>The database answered again after <paramref name="failures"/> failed attempts: one line ends the outage's.</summary>
    private void Reconnected(ref int failures, long failingSince)
    {
        if (failures > 0)
        {
            LogMessages.Reconnected(_logger, failures, Stopwatch.GetElapsedTime(failingSince));
        }

        failures = 0;
    }

    /// <summary>The start-up checks (and, for the active connector, the install if needed), with what they found logged.</summary>
    private async Task<CapturePlan> PrepareCaptureAsync(NpgsqlConnection connection, bool install, CancellationToken cancellationToken)
    {
        CapturePlan plan;
        if (_options.Capture == CaptureMode.LogicalReplication)
        {
            plan = await LogicalCaptureInstaller.PrepareAsync(connection, _options.CaptureSchema, _mappings, install, _logger, cancellationToken);
        }
        else
        {
            await LogicalCaptureInstaller.RefuseTriggersOverSlotAsync(connection, _options.CaptureSchema, cancellationToken);
            plan = await CaptureInstaller.PrepareAsync(connection, _options.CaptureSchema, _mappings, install, cancellationToken);
        }

        foreach (var setAside in plan.SetAside)
        {
            var table = CaptureSql.QualifiedName(setAside.Mapping.Schema, setAside.Mapping.TableName);
            if (setAside.RenamedTo is { } renamed)
            {
                LogMessages.MappedTableRenamed(_logger, table, setAside.Mapping.MappedBy, renamed.Quoted);
            }
            else
            {
                LogMessages.MappedTableDropped(_logger, table, setAside.Mapping.MappedBy);
            }
        }

        if (plan.Installed.Count > 0)
        {
            LogMessages.CaptureInstalled(_logger, _options.CaptureSchema, CaptureInstaller.List(plan.Installed, 5));
        }

        try
        {
            await _storeGrowth.WarnIfStaleAsync(connection, cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            // Not installed yet (a standby that started first): there is nothing to be stale.
        }

        return plan;
    }

    /// <summary>
    /// Where captured rows are routed: each mapping by its table, and a renamed table by its new name too, since its
    /// triggers (which moved with it) may record that name.
    /// </summary>
    private Dictionary<(string Schema, string Table), ChangeMapping> Routes(CapturePlan plan)
    {
        var routes = _mappings.ToDictionary(m => (m.Schema, m.TableName));
        foreach (var setAside in plan.SetAside)
        {
            if (setAside.RenamedTo is { } renamed)
            {
                routes.TryAdd((renamed.Schema, renamed.Name), setAside.Mapping);
            }
        }

        return routes;
    }

    /// <summary>
    /// Unpooled, so that closing the leader's connection ends its session and releases leadership. Leader sessions
    /// also show they are alive every second and keep TCP keepalives sized to the lease (<see cref="LeaderSession"/>).
    /// A data source given in the options is used as it is, and never disposed here (<see cref="OwnsSessionSources"/>).
    /// </summary>
    private NpgsqlDataSource CreateSessionSource(bool leader)
    {
        if (_options.DataSource is { } supplied)
        {
            return supplied;
        }

        var builder = new NpgsqlConnectionStringBuilder(_options.ConnectionString)
        {
            Pooling = false,
            KeepAlive = 10,
            ApplicationName = "AblyPgTyped connector",
        };
        if (leader)
        {
            LeaderSession.Configure(builder, _options.LeaseTimeout);
        }

        return NpgsqlDataSource.Create(builder);
    }

    private string DescribeStartFailure(Exception e)
    {
        var builder = new NpgsqlConnectionStringBuilder(_options.EffectiveConnectionString);
        var target = $"{builder.Host}:{builder.Port}/{builder.Database}";
        return e switch
        {
            PostgresException { SqlState: PostgresErrorCodes.InvalidPassword } =>
                $"PostgreSQL at {target} refused user '{builder.Username}': wrong user name or password.",
            PostgresException { SqlState: PostgresErrorCodes.InvalidAuthorizationSpecification } pe when pe.MessageText.Contains("pg_hba.conf", StringComparison.Ordinal) =>
                $"PostgreSQL at {target} does not let user '{builder.Username}' connect from this host: its pg_hba.conf has no entry that admits this " +
                $"host, user and database, or one that rejects them. The password was not checked. Ask the DBA for a pg_hba.conf entry " +
                $"(host {builder.Database} {builder.Username} <this host's address> scram-sha-256). The server said: {pe.MessageText}",
            PostgresException { SqlState: PostgresErrorCodes.InvalidAuthorizationSpecification } pe =>
                $"PostgreSQL at {target} refused user '{builder.Username}': {pe.MessageText}",
            PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege } pe when pe.MessageText.StartsWith("permission denied for database", StringComparison.Ordinal) =>
                $"Role '{builder.Username}' lacks CONNECT on database '{builder.Database}' at {builder.Host}:{builder.Port}: " +
                $"GRANT CONNECT ON DATABASE {CaptureSql.QuoteIdentifier(builder.Database ?? "")} TO {CaptureSql.QuoteIdentifier(builder.Username ?? "")}.",
            PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege } pe =>
                $"PostgreSQL at {target} refused role '{builder.Username}': {pe.MessageText}. `ablypg grants --role {builder.Username}` prints the grants the connector needs.",
            PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName } => $"Database '{builder.Database}' does not exist on {builder.Host}:{builder.Port}.",
            PostgresException pe => $"PostgreSQL at {target} failed: {pe.MessageText}",
            CaptureInstallException => e.Message,
            _ => $"Cannot reach PostgreSQL at {target}: {e.Message}",
        };
    }
}

/// <summary>The connector could not start; the message says what to fix. The password never appears in it.</summary>
public sealed class ConnectorStartException(string message, Exception inner) : Exception(message, inner);
