using System;
using System.Collections.Generic;
using Microsoft.Extensions.Logging;

namespace AblyPgTyped.LocalPostgres;

/// <summary>
/// Options for <see cref="LocalPostgresCluster.StartAsync"/>. Every property is optional.
/// </summary>
public sealed class LocalPostgresOptions
{
    /// <summary>
    /// Directory holding <c>initdb</c>, <c>pg_ctl</c> and <c>postgres</c>. When <see langword="null"/>:
    /// the <c>ABLYPG_PG_BIN</c> environment variable, then the highest <c>/usr/lib/postgresql/*/bin</c>
    /// that contains <c>initdb</c>, then <c>PATH</c>.
    /// </summary>
    public string? BinDirectory { get; set; }

    /// <summary>TCP port on 127.0.0.1; 0 (the default) picks a free port.</summary>
    public int Port { get; set; }

    /// <summary>Bootstrap superuser created by <c>initdb</c>. Default <c>postgres</c>.</summary>
    public string Username { get; set; } = "postgres";

    /// <summary>
    /// Password of <see cref="Username"/>, checked with scram-sha-256 over TCP. A random password is
    /// generated when <see langword="null"/>. Must not be empty or contain line breaks.
    /// </summary>
    public string? Password { get; set; }

    /// <summary>
    /// Server settings written to <c>postgresql.conf</c>, e.g. <c>ServerSettings["max_connections"] = "200"</c>.
    /// They override the defaults (<c>max_connections=100</c>, <c>wal_level=logical</c>,
    /// <c>max_wal_senders=10</c>, <c>max_replication_slots=10</c>). Durability settings such as
    /// <c>fsync</c> keep PostgreSQL's durable defaults unless set here. <c>port</c>,
    /// <c>listen_addresses</c> and <c>unix_socket_directories</c> are managed and cannot be set.
    /// </summary>
    public IDictionary<string, string> ServerSettings { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Receives start/stop diagnostics. Optional.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>
    /// Parent of the cluster's temporary directory. Default: the system temp directory, or <c>/tmp</c>
    /// when running as root and the system temp directory is not traversable by <see cref="OsUser"/>.
    /// </summary>
    public string? TempDirectory { get; set; }

    /// <summary>
    /// Reuse one <c>initdb</c> result per process (copied for each cluster) to make later starts faster.
    /// Default <see langword="true"/>.
    /// </summary>
    public bool UseTemplateCache { get; set; } = true;

    /// <summary>
    /// Start a small detached shell watchdog that stops the server and deletes its directory if this
    /// process dies without disposing the cluster (e.g. it is killed). Default <see langword="true"/>.
    /// </summary>
    public bool UseWatchdog { get; set; } = true;

    /// <summary>
    /// Operating-system user that runs <c>initdb</c> and the server when this process runs as root
    /// (PostgreSQL refuses to run as root). Ignored otherwise. Default <c>postgres</c>.
    /// </summary>
    public string OsUser { get; set; } = "postgres";

    /// <summary>Upper bound for the server to start and accept connections. Default 60 seconds.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
