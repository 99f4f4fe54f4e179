using System;
using System.Globalization;
using System.Threading.Tasks;
using AblyPgTyped.Publishing;
using Microsoft.Extensions.Logging;

namespace AblyPgTyped.Benchmarks.Infrastructure;

/// <summary>
/// The connector-process role: a connector with default settings (those a user gets) for every benchmark table,
/// publishing to the given endpoint, paced to the given plan, with the given bundling limit (the default under
/// Standard and Pro; 1 under Unlimited, the baseline), capturing by triggers or, when asked, by logical replication.
/// Prints <see cref="ActiveLine"/> once active; stops at
/// <see cref="StopLine"/> or end of input.
/// </summary>
internal static class ConnectorProcessRole
{
    public const string Role = "connector-process";
    public const string ActiveLine = "ACTIVE";
    public const string StopLine = "stop";
    public const string GcLine = "GC";

    /// <summary>
    /// Usage: <c>connector-process &lt;connection string&gt; &lt;ably host&gt; &lt;ably port&gt; &lt;api key&gt; &lt;plan&gt; &lt;max changes per message&gt; [capture mode]</c>.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var options = new ConnectorOptions
        {
            ConnectionString = args[1],
            Ably = { RestHost = args[2], Port = int.Parse(args[3], CultureInfo.InvariantCulture), Tls = false, ApiKey = args[4], Plan = Enum.Parse<AblyPlan>(args[5]) },
            MaxChangesPerMessage = int.Parse(args[6], CultureInfo.InvariantCulture),
            Capture = args.Length > 7 ? Enum.Parse<CaptureMode>(args[7]) : CaptureMode.Triggers,
        };
        foreach (var table in AblyPgTables.All)
        {
            options.Tables.Add(table);
        }

        using var logging = LoggerFactory.Create(builder => builder
            .SetMinimumLevel(LogLevel.Warning)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddSimpleConsole(o => o.SingleLine = true));

        using var telemetry = Environment.GetEnvironmentVariable(TelemetryListener.Variable) == "1" ? new TelemetryListener() : null;
        await using var connector = new Connector(options, logging);
        await connector.StartAsync();
        while (!connector.IsActive)
        {
            await Task.Delay(1);
        }

        Console.WriteLine(ActiveLine);
        while (await Console.In.ReadLineAsync() is { } line && line != StopLine)
        {
        }

        await connector.StopAsync();
        var gc = GC.GetGCMemoryInfo(GCKind.Any);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{GcLine} allocated={GC.GetTotalAllocatedBytes() / 1e6:0} MB, collections gen0/1/2={GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}, " +
            $"heap={gc.HeapSizeBytes / 1e6:0} MB, committed={gc.TotalCommittedBytes / 1e6:0} MB, paused={GC.GetTotalPauseDuration().TotalMilliseconds:0} ms, " +
            $"jitted={System.Runtime.JitInfo.GetCompiledMethodCount()} methods in {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:0} ms")
            + (telemetry is null ? "" : ", telemetry listened to: " + telemetry.Describe()));
        return 0;
    }
}
