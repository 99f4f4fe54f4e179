using System;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped;
using AblyPgTyped.Generated;

// Usage: AblyPgTyped.Tests.Host <connection string> <ably port> <api key> [capture mode] [max changes per message] [plan]
// Prints ACTIVE once this process is the active connector, STANDBY while another one is.
var options = new ConnectorOptions
{
    ConnectionString = args[0],
    Ably = { RestHost = "127.0.0.1", Port = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture), Tls = false, ApiKey = args[2] },
    StandbyRetryInterval = TimeSpan.FromMilliseconds(200),
    MaxRetryDelay = TimeSpan.FromSeconds(1),
    Capture = args.Length > 3 ? Enum.Parse<CaptureMode>(args[3]) : CaptureMode.Triggers,
};
if (args.Length > 4)
{
    options.MaxChangesPerMessage = int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture);
}

if (args.Length > 5)
{
    options.Ably.Plan = Enum.Parse<AblyPgTyped.Publishing.AblyPlan>(args[5]);
}

options.Tables.Add(AblyPgTables.User);

await using var connector = new Connector(options);
await connector.StartAsync();
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
