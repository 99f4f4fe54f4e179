using System;
using System.Globalization;
using System.Threading.Tasks;
using AblyPgTyped.Benchmarks.Infrastructure;

namespace AblyPgTyped.Benchmarks.Scenarios;

/// <summary>
/// Scenario 4: one drain of changes that each resolve to a channel of their own (<c>row:{Id}</c>), once per plan: how
/// fast per-row routing goes, and how many batch publish requests it takes. Under a limited plan the account's
/// message rate is the limit, so the drain is sized to about 10 seconds of it.
/// </summary>
internal static class FanoutScenario
{
    private const string Name = "fanout";

    public static async Task RunAsync(BenchmarkRun run)
    {
        foreach (var plan in run.Options.PlanList)
        {
            await RunPlanAsync(run, await run.Endpoints.ForAsync(plan), run.Options.FanoutChannels(plan));
        }

        run.Report.Note("fanout: inserts into bench_fanout, whose insert channel is row:{Id}, so every change has a channel of its own; one INSERT writes the backlog while no connector runs. " +
            "Under a limited plan the account's message rate (95% of it) bounds the drain, which is therefore sized to about 10 s of it. " +
            "Baseline: without limits, the endpoint alone fed 100 new channels per request, 6 requests in flight; under a limited plan, what its limits allow.");
    }

    private static async Task RunPlanAsync(BenchmarkRun run, BenchEndpoint endpoint, int channels)
    {
        var plan = endpoint.Plan;
        await using var database = await run.Postgres.CreateDatabaseAsync();
        await run.InstallCaptureAsync(database);
        await database.ExecuteAsync(BenchTables.InsertRows(BenchTables.Fanout, channels.ToString(CultureInfo.InvariantCulture)));
        await database.ExecuteAsync("VACUUM ANALYZE ablypg.changes");

        string baseline;
        if (plan.IsLimited)
        {
            baseline = $"{plan.Name}'s ceiling: {Report.N0(BenchPlan.Paced(plan.Limits.AccountMessagesPerSecond))} messages/s (95% of the account's {Report.N0(plan.Limits.AccountMessagesPerSecond)}), one change each";
        }
        else
        {
            // Same-run baseline: the endpoint alone, 100 new channels per request, 6 requests in flight (as the publisher sends them).
            await EndpointCeiling.MeasureAsync(endpoint, Math.Min(channels, 20_000), channelsPerRequest: 100, concurrency: 6); // warm-up
            var ceiling = await EndpointCeiling.MeasureAsync(endpoint, Math.Min(channels, 50_000), channelsPerRequest: 100, concurrency: 6);
            run.Log($"fanout: endpoint alone, 100 new channels per request, 6 in flight: {Report.N0(ceiling)} messages/s");
            baseline = $"endpoint alone: {Report.N0(ceiling)} messages/s on new channels";
        }

        var result = await BacklogDrain.MeasureAsync(database, endpoint, channels);
        run.Log($"fanout ({plan.Name}): connector runtime: {result.RuntimeStats}");

        var figure = $"{Report.N0(channels)} changes on {Report.N0(channels)} distinct channels (row:{{Id}}), one drain: changes/s, requests/s";
        if (!result.Done)
        {
            run.Report.Add(Name, figure, result.NotDrained, delivery: result.Delivery);
            run.Report.Print(run.Progress);
            return;
        }

        var requests = result.Delivery.Counted.BatchRequests;
        run.Log($"fanout ({plan.Name}): {Report.N0(result.Rate)} changes/s, {Report.N0(requests)} requests in {result.Seconds:0.00} s, {result.Delivery.RateLimitedText} refused with 429");
        run.Report.Add(Name, figure,
            $"**{Report.N0(result.Rate)} changes/s, {Report.N0(requests / result.Seconds)} requests/s** ({Report.N0(requests)} batch requests, " +
            $"{Report.F1(channels / (double)requests)} channels per request; {result.Seconds:0.0} s first→last accepted; peak RSS {Report.N0(result.PeakRssMb)} MB; {result.CpuSplit} from process start)",
            baseline, result.Delivery);
        run.Report.Print(run.Progress);
    }
}
