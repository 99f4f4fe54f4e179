using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped;
using AblyPgTyped.Tests.Host;

// Usage: AblyPgTyped.Tests.Host <connection string> <ably port> <api key> [tables=users,counters,rooms] [bundle=N] [compatible=true] [capture=Triggers|LogicalReplication] [plan=Standard] [backfill]
// Prints ACTIVE once this process is the active connector, STANDBY while another one is.
// tables: the mappings (default users); bundle: MaxChangesPerMessage (default the product's); compatible: the original's message shape.
// backfill: maps bf_rows instead of users, bundling on, and requests a backfill of it unless one exists.
var settings = args.Skip(3).Select(a => a.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "true", StringComparer.Ordinal);
var backfill = settings.ContainsKey("backfill");
var options = new ConnectorOptions
{
    ConnectionString = args[0],
    Ably = { RestHost = "127.0.0.1", Port = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture), Tls = false, ApiKey = args[2] },
    StandbyRetryInterval = TimeSpan.FromMilliseconds(200),
    MaxRetryDelay = TimeSpan.FromSeconds(1),
    CompatibleMessages = settings.TryGetValue("compatible", out var compatible) && bool.Parse(compatible),
    Capture = settings.TryGetValue("capture", out var capture) ? Enum.Parse<CaptureMode>(capture) : CaptureMode.Triggers,
};
if (settings.TryGetValue("plan", out var plan))
{
    options.Ably.Plan = Enum.Parse<AblyPgTyped.Publishing.AblyPlan>(plan);
}

if (settings.TryGetValue("bundle", out var bundle))
{
    options.MaxChangesPerMessage = int.Parse(bundle, System.Globalization.CultureInfo.InvariantCulture);
}

foreach (var table in (settings.TryGetValue("tables", out var tables) ? tables : backfill ? "bf_rows" : "users").Split(','))
{
    options.Tables.Add(table switch
    {
        "users" => AblyPgTables.User,
        "counters" => AblyPgTables.Counter,
        "rooms" => AblyPgTables.Room,
        "bf_rows" => AblyPgTables.BackfillRow,
        _ => throw new ArgumentException("Unknown table " + table),
    });
}

using var logs = Environment.GetEnvironmentVariable("ABLYPG_HOST_LOG") is { Length: > 0 } logPath ? new FileLoggerFactory(logPath) : null;
await using var connector = new Connector(options, logs);
await connector.StartAsync();
if (backfill && (await connector.GetBackfillsAsync()).Count == 0)
{
    await connector.BackfillAsync<BackfillRow>(new BackfillOptions { ChunkRows = 500 });
}

var reported = false;
while (true)
{
    if (connector.IsActive != reported || !reported)
    {
        reported = connector.IsActive;
        Console.WriteLine(reported ? "ACTIVE" : "STANDBY");
    }

    await Task.Delay(50, CancellationToken.None);
}

/// <summary>The same mapping as the tests' users table (whole old rows in both capture modes, as there).</summary>
[AblyTable("users", Insert = "users", Update = "users:{Id}", Delete = "users", ReplicaIdentity = ReplicaIdentity.Full)]
public sealed record User(int Id, string Name, string? Bio);

/// <summary>
/// The same mapping as the tests' counters table. Its replica identity must match too: with logical replication, a
/// connector of the tests that takes over from this one would dead-letter the updates logged without whole old rows.
/// </summary>
[AblyTable("counters", Insert = "counters", Update = "counter:{Id}", ReplicaIdentity = ReplicaIdentity.Full)]
public sealed record Counter(int Id, long Value, int Writer);

/// <summary>The same mapping as the tests' rooms table: each row names its own channel.</summary>
[AblyTable("rooms", Insert = "{Name}")]
public sealed record Room(int Id, string Name);

/// <summary>
/// The backfill test's table: every change of a row goes to the row's bucket channel. A delete resolves it from the old
/// row, which logical replication logs whole only with full replica identity.
/// </summary>
[AblyTable("bf_rows", Insert = "bf:{Bucket}", Update = "bf:{Bucket}", Delete = "bf:{Bucket}", ReplicaIdentity = ReplicaIdentity.Full)]
public sealed record BackfillRow(int Id, int Bucket, int Val);
