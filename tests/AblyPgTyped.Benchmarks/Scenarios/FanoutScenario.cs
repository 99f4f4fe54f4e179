using System;
using System.Globalization;
using System.Threading.Tasks;
using AblyPgTyped.Benchmarks.Infrastructure;

namespace AblyPgTyped.Benchmarks.Scenarios;

/// <summary>
/// Scenario 4: one drain of changes that each resolve to a channel of their own (<c>row:{Id}</c>): how fast per-row
/// routing goes, and how many batch publish requests it takes.
/// </summary>
internal static class FanoutScenario
{
    private const string Name = "fanout";

    public static async Task RunAsync(BenchmarkRun run)
    {
        var channels = run.Options.FanoutChannels;
        await using var database = await run.Postgres.CreateDatabaseAsync();
        await run.InstallCaptureAsync(database);
        await database.ExecuteAsync(BenchTables.InsertRows(BenchTables.Fanout, channels.ToString(CultureInfo.InvariantCulture)));
        await database.ExecuteAsync("VACUUM ANALYZE ablypg.changes");

        // Same-run baseline: the endpoint alone, 100 new channels per request, 6 requests in flight (as the publisher sends them).
        await EndpointCeiling.MeasureAsync(run.Endpoint, Math.Min(channels, 20_000), channelsPerRequest: 100, concurrency: 6); // warm-up
        var ceiling = await EndpointCeiling.MeasureAsync(run.Endpoint, Math.Min(channels, 50_000), channelsPerRequest: 100, concurrency: 6);
        run.Log($"fanout: endpoint alone, 100 new channels per request, 6 in flight: {Report.N0(ceiling)} messages/s");

        using var tracker = run.Endpoint.Track();
        var before = await run.Endpoint.CountersAsync();
        await using var child = ConnectorChild.Start(database.ConnectionString, run.Endpoint);
        var cpu = CpuMeter.Start(child.ProcessId, run.Postgres.PostmasterProcessId);
        var timeout = TimeSpan.FromSeconds(Math.Max(120, channels / 1_000.0));
        var done = await tracker.WaitForAsync(channels, timeout);
        var after = await run.Endpoint.CountersAsync();
        var peakRss = child.PeakRssBytes();
        var cpuSplit = cpu.Describe();
        await child.StopAsync();
        run.Log($"fanout: connector runtime: {child.RuntimeStats}");

        var figure = $"{Report.N0(channels)} changes on {Report.N0(channels)} distinct channels (row:{{Id}}), one drain: changes/s, requests/s";
        if (!done)
        {
            run.Report.Add(Name, figure, $"not drained: {Report.N0(tracker.Count)} accepted within {timeout.TotalSeconds:0} s");
            return;
        }

        var seconds = BenchmarkRun.Seconds(tracker.FirstTimestamp, tracker.LastTimestamp);
        var requests = after.BatchRequests - before.BatchRequests;
        run.Log($"fanout: {Report.N0(channels / seconds)} changes/s, {Report.N0(requests)} requests in {seconds:0.00} s");
        run.Report.Add(Name, figure,
            $"**{Report.N0(channels / seconds)} changes/s, {Report.N0(requests / seconds)} requests/s** ({Report.N0(requests)} batch requests, " +
            $"{Report.F1(channels / (double)requests)} channels per request; {seconds:0.0} s first→last accepted; peak RSS {Report.N0(peakRss / 1e6)} MB; {cpuSplit} from process start)",
            $"endpoint alone: {Report.N0(ceiling)} messages/s on new channels");
        run.Report.Print(run.Progress);
    }
}
