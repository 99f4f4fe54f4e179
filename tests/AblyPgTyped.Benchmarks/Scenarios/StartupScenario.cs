using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Benchmarks.Infrastructure;

namespace AblyPgTyped.Benchmarks.Scenarios;

/// <summary>
/// Scenario 5: from the start of a connector process to the first message the endpoint accepts, with capture already
/// installed and one change waiting.
/// </summary>
internal static class StartupScenario
{
    private const string Name = "startup";

    public static async Task RunAsync(BenchmarkRun run)
    {
        // Start-up does not depend on the plan: the endpoint without limits, as in issue 5.
        var endpoint = await run.Endpoints.UnmeteredAsync();
        await using var database = await run.Postgres.CreateDatabaseAsync();
        await run.InstallCaptureAsync(database);

        var toFirst = new List<double>();
        var toActive = new List<double>();
        var rss = new List<double>();
        for (var i = 0; i < run.Options.StartupRuns; i++)
        {
            await database.ExecuteAsync(BenchTables.InsertRows(BenchTables.Captured, "1"));
            using var tracker = endpoint.Track();
            await using var child = ConnectorChild.Start(database.ConnectionString, endpoint);
            var active = await child.WaitActiveAsync(TimeSpan.FromSeconds(60));
            if (!await tracker.WaitForAsync(1, TimeSpan.FromSeconds(60)))
            {
                throw new TimeoutException("The connector process published nothing within 60 s.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200)); // idle again after its first cycle
            rss.Add(child.RssBytes() / 1e6);
            toActive.Add(BenchmarkRun.Seconds(child.StartedTimestamp, active) * 1000);
            toFirst.Add(BenchmarkRun.Seconds(child.StartedTimestamp, tracker.FirstTimestamp) * 1000);
            await child.StopAsync();
        }

        toFirst.Sort();
        toActive.Sort();
        var median = toFirst[toFirst.Count / 2];
        run.Log($"startup: {string.Join(", ", toFirst.Select(t => $"{t:0} ms"))}");
        run.Report.Add(Name, $"process start → first message accepted, capture installed, one change waiting (median of {toFirst.Count})",
            $"**{Report.Ms(median)}** (min {Report.Ms(toFirst[0])}, max {Report.Ms(toFirst[^1])}; process start → active: median {Report.Ms(toActive[toActive.Count / 2])}; RSS once idle: {Report.N0(rss.Max())} MB)");
        run.Report.Print(run.Progress);
        run.Report.Note($"startup: the connector process is started as {ConnectorChild.Launcher}; the time runs from just before Process.Start to the endpoint's acceptance of the first message (same Stopwatch, in this process).");
    }
}
