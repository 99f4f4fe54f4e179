using System;
using System.Collections.Generic;
using System.Linq;
using AblyPgTyped.Capture;
using AblyPgTyped.Publishing;

namespace AblyPgTyped;

/// <summary>
/// Settings of a <see cref="Connector"/>. Every property but <see cref="Tables"/> binds from
/// <c>Microsoft.Extensions.Configuration</c> (for example the section <c>AblyPg</c> of appsettings.json).
/// </summary>
public sealed class ConnectorOptions
{
    /// <summary>
    /// The Npgsql connection string of the database whose changes are captured. Not needed when <see cref="DataSource"/>
    /// is set (or, in a host, when a data source is registered; see <c>AddAblyPgConnector</c>).
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// An Npgsql data source to connect through instead of <see cref="ConnectionString"/>, so that what it is built with
    /// (a periodic password provider for token authentication, SSL callbacks, …) applies to the connector too. The connector
    /// opens its own connections from it (the leader session among them, which it holds for as long as it is active) and
    /// never disposes it. Not bound from configuration.
    /// </summary>
    public Npgsql.NpgsqlDataSource? DataSource { get; set; }

    /// <summary>The schema that holds the capture store, control table and trigger functions. Default <c>ablypg</c>.</summary>
    public string CaptureSchema { get; set; } = CaptureSql.DefaultSchema;

    /// <summary>
    /// How changes are captured: <see cref="CaptureMode.Triggers"/> (the default: no server settings needed) or
    /// <see cref="CaptureMode.LogicalReplication"/> (writers pay nothing; needs <c>wal_level = logical</c> and a role with
    /// <c>REPLICATION</c>). Both publish the same messages with the same guarantees.
    /// </summary>
    public CaptureMode Capture { get; set; } = CaptureMode.Triggers;

    /// <summary>Where and how to publish.</summary>
    public AblyOptions Ably { get; set; } = new();

    /// <summary>The mapped tables, usually <c>AblyPgTables.All</c> from the generated registry.</summary>
    public IList<AblyTable> Tables { get; } = new List<AblyTable>();

    /// <summary>
    /// The most changes held in memory between their read and their deletion from the store (read, queued on their
    /// channels, in flight). Bounds memory while a channel is behind. Default 10,000.
    /// </summary>
    public int MaxChangesInFlight { get; set; } = 10_000;

    /// <summary>
    /// The most bytes held in memory the same way: the changes' captured JSON, their rendered messages, and a few hundred
    /// bytes of each change's own objects. Bounds memory while rows are large. Default 16 MiB (the garbage collector's
    /// heap runs at two to four times what is held while changes stream through).
    /// </summary>
    public long MaxBytesInFlight { get; set; } = 16L * 1024 * 1024;

    /// <summary>
    /// Adaptive bundling, for Ably's 50 messages/s per channel: while a channel keeps up, each change is a message of
    /// its own; when changes come faster than its rate allows, consecutive changes of one table are packed into
    /// <c>bundle</c> messages of at most this many (and within the message size limit), so the channel keeps up.
    /// Default 500; 1 turns bundling off. Compatible messages are never bundled.
    /// </summary>
    public int MaxChangesPerMessage { get; set; } = 500;

    /// <summary>Whether changes may be bundled (<see cref="MaxChangesPerMessage"/>; never with compatible messages).</summary>
    internal bool Bundles => !CompatibleMessages && MaxChangesPerMessage > 1;

    /// <summary>
    /// Publish exactly what the Node.js original published (message name and <c>{"table","type","row"}</c> text),
    /// so existing subscribers keep working. Default false: the typed message shape.
    /// </summary>
    public bool CompatibleMessages { get; set; }

    /// <summary>When idle, the longest wait for a wake-up before looking again (covers a notifying writer that rolled back). Default 500 ms.</summary>
    public TimeSpan IdleWakeupTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often a standby tries to become the active connector. Default 1 s.</summary>
    public TimeSpan StandbyRetryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest pause between publish retries while Ably is failing or rate limiting. Default 30 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the active connector's database session may stay silent before a standby ends it and takes over. The
    /// active connector shows it is alive every second, and its session sets server-side TCP keepalives sized to this,
    /// so a leader whose network is cut silently loses its place within about this long. Default 15 s; at least 3 s.
    /// </summary>
    public TimeSpan LeaseTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A capture store whose oldest change is older than this when the connector starts is reported (event 1112): it
    /// has not been drained, and every write to a mapped table still adds to it. Default 1 hour.
    /// </summary>
    public TimeSpan StaleStoreWarningAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// A capture store larger than this on disk (with its indexes and TOAST) is reported (event 1115), as a store whose
    /// oldest change is older than <see cref="StaleStoreWarningAfter"/> is (event 1112): at start, then while it lasts,
    /// at most once an hour. Null turns the size warning off. Default 1 GiB.
    /// </summary>
    public long? StoreSizeWarningAbove { get; set; } = 1024L * 1024 * 1024;

    /// <summary>
    /// While the active connector drains a backlog (1,000 changes or more in the store), it logs one line this often
    /// with the backlog, the rate Ably accepts changes and an estimate of the time left, and one line when it has caught
    /// up (events 1210 and 1211). Default 10 s.
    /// </summary>
    public TimeSpan ProgressLogInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The thresholds of <see cref="Connector.Health"/> and of the hosted health check.</summary>
    public ConnectorHealthOptions Health { get; set; } = new();

    /// <summary>The connection string in use: <see cref="DataSource"/>'s (without its password) when set.</summary>
    internal string? EffectiveConnectionString => DataSource?.ConnectionString ?? ConnectionString;

    /// <summary>Mappings without a C# type (from the original's configuration files).</summary>
    internal List<ChangeMapping> UntypedMappings { get; } = [];

    /// <summary>
    /// The complete install a connector with these options runs, for a DBA to review or apply by hand (as the owner,
    /// in one transaction): the capture schema and store, every mapping's triggers, the removal of capture for tables
    /// no longer mapped, and the record of the mappings. A connector that finds exactly this installed runs no DDL, so it
    /// may run as a role with only the grants of <see cref="GetGrantSql"/>. Needs no database and no API key.
    /// </summary>
    public string GetInstallSql() => Capture == CaptureMode.LogicalReplication
        ? global::AblyPgTyped.Capture.Logical.LogicalCaptureInstaller.GetInstallSql(this)
        : CaptureInstallScript.ForReview(CaptureSchema, Mappings());

    /// <summary>
    /// The DDL that removes everything a connector with these options installs, and nothing else: the capture triggers
    /// and functions and the store's tables, then the capture schema if nothing else is left in it.
    /// </summary>
    public string GetUninstallSql() => Capture == CaptureMode.LogicalReplication
        ? global::AblyPgTyped.Capture.Logical.LogicalCaptureInstaller.GetUninstallSql(CaptureSchema, EffectiveConnectionString)
        : "BEGIN;\n\n" + CaptureObjects.UninstallSql(CaptureSchema) + "\nCOMMIT;\n";

    /// <summary>
    /// The GRANT script that lets <paramref name="role"/> run the connector and nothing more: use the capture store
    /// (read and delete changes, record dead letters, read the mappings and state, arm the wake-up). Apply it as the
    /// owner after <see cref="GetInstallSql"/>.
    /// </summary>
    public string GetGrantSql(string role)
    {
        if (string.IsNullOrEmpty(role) || Config.ConfigRules.IdentifierProblem(role) is not null)
        {
            throw new AblyConfigurationException($"Role '{role}' is not a valid PostgreSQL role name (1 to 63 bytes, no NUL).");
        }

        string? database = null;
        if (!string.IsNullOrWhiteSpace(EffectiveConnectionString))
        {
            database = new Npgsql.NpgsqlConnectionStringBuilder(EffectiveConnectionString).Database;
        }

        return ConnectorGrants.Script(database, CaptureSchema, role, Mappings().Select(m => (m.Schema, m.TableName)).ToList());
    }

    /// <summary>Every mapping: the typed tables, then those from the original's configuration.</summary>
    internal IReadOnlyList<ChangeMapping> Mappings()
    {
        var mappings = new List<ChangeMapping>();
        foreach (var table in Tables)
        {
            mappings.Add(table.CreateMapping());
        }

        mappings.AddRange(UntypedMappings);
        return mappings;
    }

    /// <summary>Checks every setting; the exception names the setting and the problem.</summary>
    /// <exception cref="AblyConfigurationException">A setting is missing or out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString) && DataSource is null)
        {
            throw new AblyConfigurationException("ConnectionString is required: the Npgsql connection string of the database to capture (or set DataSource).");
        }

        if (string.IsNullOrEmpty(CaptureSchema) || System.Text.Encoding.UTF8.GetByteCount(CaptureSchema) > CaptureSql.MaxIdentifierBytes || CaptureSchema.Contains('\0', StringComparison.Ordinal))
        {
            throw new AblyConfigurationException($"CaptureSchema '{CaptureSchema}' is not a valid PostgreSQL identifier (1 to 63 bytes, no NUL).");
        }

        if (CaptureSchemaRules.Problem(CaptureSchema) is { } reserved)
        {
            throw new AblyConfigurationException($"CaptureSchema \"{CaptureSchema}\" is not allowed: {reserved}; {CaptureSchemaRules.Advice}.");
        }

        if (Tables.Count == 0 && UntypedMappings.Count == 0)
        {
            throw new AblyConfigurationException("No table is mapped: add AblyPgTables.All (or single mappings) to ConnectorOptions.Tables.");
        }

        if (!Enum.IsDefined(Capture))
        {
            throw new AblyConfigurationException($"Capture '{Capture}' is not a capture mode: use Triggers or LogicalReplication.");
        }

        Positive(MaxChangesInFlight, nameof(MaxChangesInFlight));
        if (MaxBytesInFlight <= 0)
        {
            throw new AblyConfigurationException($"{nameof(MaxBytesInFlight)} must be positive; it is {MaxBytesInFlight}.");
        }

        Positive(MaxChangesPerMessage, nameof(MaxChangesPerMessage));
        Positive(IdleWakeupTimeout, nameof(IdleWakeupTimeout));
        Positive(StandbyRetryInterval, nameof(StandbyRetryInterval));
        Positive(MaxRetryDelay, nameof(MaxRetryDelay));
        if (LeaseTimeout < TimeSpan.FromSeconds(3))
        {
            throw new AblyConfigurationException($"{nameof(LeaseTimeout)} must be at least 3 seconds (the active connector shows it is alive every second); it is {LeaseTimeout}.");
        }

        Positive(StaleStoreWarningAfter, nameof(StaleStoreWarningAfter));
        if (StoreSizeWarningAbove is <= 0)
        {
            throw new AblyConfigurationException($"{nameof(StoreSizeWarningAbove)} must be positive (or null, to turn the warning off); it is {StoreSizeWarningAbove}.");
        }

        Positive(ProgressLogInterval, nameof(ProgressLogInterval));
        (Health ?? throw new AblyConfigurationException($"{nameof(Health)} must not be null.")).Validate();
        Ably.Validate();
    }

    private static void Positive(int value, string name)
    {
        if (value <= 0)
        {
            throw new AblyConfigurationException($"{name} must be positive; it is {value}.");
        }
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new AblyConfigurationException($"{name} must be positive; it is {value}.");
        }
    }
}
