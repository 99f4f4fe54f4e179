using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using AblyPgTyped.Benchmarks;
using AblyPgTyped.Benchmarks.Infrastructure;
using AblyPgTyped.Benchmarks.Scenarios;

// The connector-process role branches off first, so that its process never loads the endpoint or the scenarios.
return args.Length > 0 && args[0] == ConnectorProcessRole.Role
    ? await ConnectorProcessRole.RunAsync(args)
    : await BenchmarkProgram.RunAsync(args);

/// <summary>Runs the selected scenarios and prints the table.</summary>
internal static class BenchmarkProgram
{
    public static async Task<int> RunAsync(string[] args)
    {
        BenchmarkOptions options;
        try
        {
            options = BenchmarkOptions.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }

        if (options.Help)
        {
            Console.WriteLine(BenchmarkOptions.Usage);
            return 0;
        }

        var clock = Stopwatch.StartNew();
        var report = new Report();
        report.Header.Add($"date: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
        report.Header.Add("command: `dotnet run -c Release --project tests/AblyPgTyped.Benchmarks" + (args.Length > 0 ? " -- " + string.Join(' ', args) : "") + "`");
        report.Header.Add($"machine: {MachineInfo.Describe()}");
        report.Header.Add($".NET: {RuntimeInformation.FrameworkDescription}; connector process: default ConnectorOptions but for the plan and MaxChangesPerMessage (see plans), {(GCSettings.IsServerGC ? "server" : "workstation")} GC");

        await using var postgres = await PostgresTarget.StartAsync();
        await using var endpoints = options.AblyHost is null
            ? await PlanEndpoints.InProcessAsync(options.PlanList, options.EndpointDelay)
            : await PlanEndpoints.RemoteAsync(options.AblyHost, options.AblyPort!.Value, options.AblyKey!);
        if (endpoints.RemotePlan is { } remotePlan && options.PlanList.Any(p => p != remotePlan))
        {
            Console.Error.WriteLine($"The endpoint at {options.AblyHost}:{options.AblyPort} enforces the {remotePlan.Name} plan only; pass --plans {remotePlan.Name.ToLowerInvariant()}.");
            return 2;
        }

        report.Header.Add($"database: {postgres.Description}");
        report.Header.Add($"endpoint: {endpoints.Describe()}");
        report.Header.Add("plans: " + string.Join("; ", options.PlanList.Select(p => p.Describe())));
        report.Header.Add($"load average before the run: {MachineInfo.LoadAverage()} (anything else running on the 2 cores lowers every figure)");

        var run = new BenchmarkRun(options, postgres, endpoints, report);
        var failed = false;
        foreach (var scenario in options.SelectedScenarios)
        {
            run.Log($"{scenario}: starting");
            try
            {
                await (scenario switch
                {
                    "write" => WriteOverheadScenario.RunAsync(run),
                    "drain" => DrainScenario.RunAsync(run),
                    "sharded" => ShardedDrainScenario.RunAsync(run),
                    "latency" => LatencyScenario.RunAsync(run),
                    "quiet" => QuietChannelScenario.RunAsync(run),
                    "fanout" => FanoutScenario.RunAsync(run),
                    "startup" => StartupScenario.RunAsync(run),
                    "backfill" => BackfillScenario.RunAsync(run),
                    "telemetry" => TelemetryOverheadScenario.RunAsync(run),
                    "logical" => LogicalScenario.RunAsync(run),
                    _ => throw new InvalidOperationException(scenario),
                });
            }
            catch (Exception e)
            {
                failed = true;
                report.Add(scenario, "failed", e.GetType().Name + ": " + e.Message.Split('\n')[0]);
                run.Log($"{scenario} failed: {e}");
            }
        }

        report.Header.Add($"load average after the run: {MachineInfo.LoadAverage()}");
        report.Header.Add($"duration: {clock.Elapsed.TotalMinutes:0.0} min");
        var table = report.Render();
        Console.WriteLine();
        Console.WriteLine(table);
        if (options.Output is { } output)
        {
            await File.WriteAllTextAsync(output, table);
        }

        return failed ? 1 : 0;
    }
}

/// <summary>What the figures were measured on.</summary>
internal static class MachineInfo
{
    public static string Describe()
    {
        var memory = Field("/proc/meminfo", "MemTotal:") is { } kb ? $"{double.Parse(kb.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], System.Globalization.CultureInfo.InvariantCulture) / (1024 * 1024):0.0} GiB" : "? GiB";
        var cpu = Field("/proc/cpuinfo", "model name") is { } model ? model.TrimStart(':', ' ', '\t') : RuntimeInformation.ProcessArchitecture.ToString();
        var os = Field("/etc/os-release", "PRETTY_NAME=")?.Trim('"') ?? RuntimeInformation.OSDescription;
        return $"{Environment.ProcessorCount} cores ({cpu}, last-level cache {LastLevelCache()}), {memory}, {os}, kernel {Environment.OSVersion.Version}";
    }

    /// <summary>The largest cache level's size as the kernel reports it; the .NET GC sizes its youngest generation from it.</summary>
    private static string LastLevelCache()
    {
        const string Caches = "/sys/devices/system/cpu/cpu0/cache";
        var largest = Directory.Exists(Caches)
            ? Directory.GetDirectories(Caches, "index*")
                .Where(d => File.Exists(Path.Combine(d, "level")) && File.Exists(Path.Combine(d, "size")))
                .OrderByDescending(d => File.ReadAllText(Path.Combine(d, "level")).Trim())
                .FirstOrDefault()
            : null;
        return largest is null ? "unknown" : $"L{File.ReadAllText(Path.Combine(largest, "level")).Trim()} {File.ReadAllText(Path.Combine(largest, "size")).Trim()}";
    }

    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static string? Field(string file, string prefix) =>
        File.Exists(file) ? File.ReadLines(file).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..].Trim() : null;
}
