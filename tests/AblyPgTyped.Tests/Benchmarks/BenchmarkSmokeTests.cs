using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace AblyPgTyped.Tests.Benchmarks;

/// <summary>
/// Keeps the benchmark program (tests/AblyPgTyped.Benchmarks) building and working: runs it with <c>--smoke</c> (every
/// scenario at tiny sizes) and checks that it succeeds and reports every scenario. Benchmarks report; no time is asserted.
/// </summary>
public sealed class BenchmarkSmokeTests(ITestOutputHelper output)
{
    private static readonly string[] Scenarios = ["write", "drain", "sharded", "latency", "quiet", "fanout", "startup", "backfill", "telemetry", "logical"];

    [Fact]
    public async Task The_benchmark_program_runs_every_scenario_at_smoke_size_and_prints_its_table()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(BenchmarkAssembly());
        start.ArgumentList.Add("--smoke");

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("The benchmark smoke did not finish within 5 minutes.\n" + await stderr);
        }

        var table = await stdout;
        output.WriteLine(table);
        output.WriteLine(await stderr);

        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}\n{table}");
        var rows = table.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal)).ToArray();
        foreach (var scenario in Scenarios)
        {
            Assert.Contains(rows, r => r.StartsWith($"| {scenario} |", StringComparison.Ordinal) && !r.Contains("| failed |", StringComparison.Ordinal));
        }
    }

    /// <summary>bin/&lt;Configuration&gt;/net10.0 of this test project, mirrored for the benchmark project.</summary>
    private static string BenchmarkAssembly()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var path = Path.GetFullPath(Path.Combine(here.FullName, "..", "..", "..", "..", "AblyPgTyped.Benchmarks", "bin", here.Parent!.Name, here.Name, "AblyPgTyped.Benchmarks.dll"));
        return File.Exists(path) ? path : throw new FileNotFoundException($"The benchmark program was not built: {path}");
    }
}
