using System;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped;
using AblyPgTyped.Generated;

// Usage: AblyPgTyped.Tests.Host <connection string> <ably port> <api key> [backfill]
// Prints ACTIVE once this process is the active connector, STANDBY while another one is.
// With "backfill" it maps bf_rows instead of users, bundling on, and requests a backfill of it unless one exists.
var options = new ConnectorOptions
{
    ConnectionString = args[0],
    Ably = { RestHost = "127.0.0.1", Port = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture), Tls = false, ApiKey = args[2] },
    StandbyRetryInterval = TimeSpan.FromMilliseconds(200),
    MaxRetryDelay = TimeSpan.FromSeconds(1),
};
var backfill = args.Length > 3 && args[3] == "backfill";
options.Tables.Add(backfill ? AblyPgTables.BackfillRow : AblyPgTables.User);

await using var connector = new Connector(options);
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

/// <summary>The same mapping as the tests' users table.</summary>
[AblyTable("users", Insert = "users", Update = "users:{Id}", Delete = "users")]
public sealed record User(int Id, string Name, string? Bio);

/// <summary>The backfill test's table: every change of a row goes to the row's bucket channel.</summary>
[AblyTable("bf_rows", Insert = "bf:{Bucket}", Update = "bf:{Bucket}", Delete = "bf:{Bucket}")]
public sealed record BackfillRow(int Id, int Bucket, int Val);
