// The AblyPgTyped quickstart: a users table, durable capture, and a subscriber that prints every change it receives.
//
//   dotnet run --project samples/Quickstart              runs end to end and exits 0
//   dotnet run --project samples/Quickstart -- --watch   keeps running: change rows with psql and watch, here and in
//                                                        the browser page samples/LiveTable, served by the local endpoint
//
// With no configuration it starts a throwaway PostgreSQL and the local Ably-compatible endpoint.
// ABLYPG_CONNECTION_STRING uses your PostgreSQL instead; ABLY_API_KEY publishes to Ably itself.
using System;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped;
using AblyPgTyped.LocalAbly;
using AblyPgTyped.LocalPostgres;
using Npgsql;
using Quickstart;

var watch = args.Contains("--watch");
using var stop = new CancellationTokenSource();
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

Console.WriteLine("AblyPgTyped quickstart");

// 1. PostgreSQL: yours, or a throwaway cluster.
var connectionString = Environment.GetEnvironmentVariable("ABLYPG_CONNECTION_STRING");
await using var cluster = string.IsNullOrEmpty(connectionString) ? await LocalPostgresCluster.StartAsync() : null;
connectionString ??= cluster!.ConnectionString;
var database = new NpgsqlConnectionStringBuilder(connectionString);
Console.WriteLine(cluster is null
    ? $"  PostgreSQL: {database.Host}:{database.Port}/{database.Database} (from ABLYPG_CONNECTION_STRING)"
    : $"  PostgreSQL: throwaway cluster {cluster.ServerVersion} on 127.0.0.1:{cluster.Port} (set ABLYPG_CONNECTION_STRING to use yours)");

// 2. Ably: the real service with ABLY_API_KEY, otherwise the local endpoint.
var apiKey = Environment.GetEnvironmentVariable("ABLY_API_KEY");
var localAblyOptions = new LocalAblyOptions { ApiKeys = { "quickstart.key:local-secret" } };
var liveTableFolder = watch && string.IsNullOrEmpty(apiKey) ? LiveTablePage.FindFolder() : null;
if (liveTableFolder is not null)
{
    // The endpoint serves samples/LiveTable itself: the page and ably-js come from the same origin as the realtime socket.
    localAblyOptions.ServedFolders["live-table"] = liveTableFolder;
}

await using var localAbly = string.IsNullOrEmpty(apiKey) ? await LocalAblyServer.StartAsync(localAblyOptions) : null;
apiKey ??= "quickstart.key:local-secret";
var options = new ConnectorOptions
{
    ConnectionString = connectionString,
    // A capture schema of its own: the quickstart never reconciles away a real installation's triggers.
    CaptureSchema = "ablypg_quickstart",
    Ably = { ApiKey = apiKey },
};
if (localAbly is not null)
{
    (options.Ably.RestHost, options.Ably.Port, options.Ably.Tls) = ("127.0.0.1", localAbly.Port, false);
}

options.Tables.Add(AblyPgTables.User);
Console.WriteLine(localAbly is null
    ? "  Ably: the Ably service (ABLY_API_KEY)"
    : $"  Ably: local endpoint {localAbly.BaseAddress} (set ABLY_API_KEY to publish to Ably)");

// 3. The original's example table.
await using var db = NpgsqlDataSource.Create(connectionString);
await ExecuteAsync("CREATE SCHEMA IF NOT EXISTS quickstart; CREATE TABLE IF NOT EXISTS quickstart.users (id integer, name text);");
var table = AblyPgTables.User;
Console.WriteLine($"  Table {table.Schema}.{table.Name}: insert -> {table.InsertChannel}, update -> {table.UpdateChannel}, delete -> {table.DeleteChannel}");

// 4. A typed subscriber on the three channels (Ably's SSE endpoint, or the local one's), then the connector.
var channels = new[] { table.InsertChannel!, table.UpdateChannel!, table.DeleteChannel! };
var subscriberOptions = new ChangeSubscriberOptions { Key = apiKey };
if (localAbly is not null)
{
    (subscriberOptions.RestHost, subscriberOptions.Port, subscriberOptions.Tls) = ("127.0.0.1", localAbly.Port, false);
}

using var subscriber = new ChangeSubscriber(subscriberOptions);
await using var subscription = await subscriber.SubscribeAsync(table, channels, stop.Token); // open: nothing later is missed
await using var connector = new Connector(options);
await connector.StartAsync(stop.Token);
Console.WriteLine("  Capture installed; subscribed to " + string.Join(", ", channels));
Console.WriteLine();

var printing = Task.Run(async () =>
{
    var count = 0;
    await foreach (var (channel, _, _, change) in subscription.ReadAllAsync(stop.Token))
    {
        var row = change.Kind == ChangeKind.Update ? $"{change.Old} -> {change.New}" : change.Row.ToString();
        Console.WriteLine($"  [{channel}] {ChangeMessage.NameOf(change.Kind)} {row}");
        if (++count == 4 && !watch)
        {
            return count;
        }
    }

    return count;
});

// 5. The changes a subscriber sees.
foreach (var sql in new[]
{
    "INSERT INTO quickstart.users VALUES (1, 'Ada'), (2, 'Grace')",
    "UPDATE quickstart.users SET name = 'Ada Lovelace' WHERE id = 1",
    "DELETE FROM quickstart.users WHERE id = 2",
})
{
    Console.WriteLine("> " + sql);
    await ExecuteAsync(sql);
}

Console.WriteLine();
if (watch)
{
    Console.WriteLine("Watching. Change rows and see the messages here, for example:");
    Console.WriteLine($"  PGPASSWORD='{database.Password}' psql -h {database.Host} -p {database.Port} -U {database.Username} -d {database.Database} \\");
    Console.WriteLine("    -c \"INSERT INTO quickstart.users VALUES (3, 'Linus')\"");
    if (localAbly is not null)
    {
        Console.WriteLine($"  Live view of every channel: {localAbly.BaseAddress}_local/");
        if (liveTableFolder is not null && await LiveTablePage.EnsureAblyJsAsync(liveTableFolder, stop.Token))
        {
            Console.WriteLine($"  The table, live in a browser (ably-js Realtime): {localAbly.BaseAddress}_local/live-table/?channels={string.Join(",", channels)}&table={table.Schema}.{table.Name}");
        }
    }

    Console.WriteLine("Ctrl+C stops.");
}

var finished = await Task.WhenAny(printing, Task.Delay(watch ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(30), stop.Token).ContinueWith(_ => 0, TaskScheduler.Default));
var received = finished.IsCompletedSuccessfully ? finished.Result : 0;
await connector.StopAsync();
if (cluster is null && !watch)
{
    await connector.UninstallAsync();
    await ExecuteAsync("DROP SCHEMA quickstart CASCADE");
}

if (!watch && received < 4)
{
    Console.Error.WriteLine($"Only {received} of 4 messages arrived within 30 s.");
    return 1;
}

Console.WriteLine(watch ? "Stopped." : "4 messages received: insert, insert, update, delete. Done.");
return 0;

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

async Task ExecuteAsync(string sql)
{
    await using var command = db.CreateCommand(sql);
    await command.ExecuteNonQueryAsync(stop.Token);
}
