using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Tasks;
using AblyPgTyped.Benchmarks.Infrastructure;

namespace AblyPgTyped.Benchmarks.Scenarios;

/// <summary>
/// A backlog spread over many channels (100 by default, <c>shard:{Shard}</c>), drained by a connector in its own
/// process, once per plan: with a request in flight on every channel, how fast the connector goes when one channel's
/// pace is no longer the limit.
/// </summary>
internal static class ShardedDrainScenario
{
    private const string Name = "sharded";

    /// <summary>Issue 8: 100 channels under the Pro plan.</summary>
    private const double ProTarget = 100_000;

    public static async Task RunAsync(BenchmarkRun run)
    {
        var shards = run.Options.ShardCount;
        var changes = run.Options.ShardedChanges;
        foreach (var plan in run.Options.PlanList)
        {
            var endpoint = await run.Endpoints.ForAsync(plan);
            var tag = $"sharded ({plan.Name})";
            await using var database = await run.Postgres.CreateDatabaseAsync();
            await run.InstallCaptureAsync(database);

            var fill = Stopwatch.StartNew();
            await FillAsync(database, changes, shards);
            await database.ExecuteAsync("VACUUM ANALYZE ablypg.changes");
            await database.ExecuteAsync("CHECKPOINT");
            run.Log($"{tag}: {Report.N0(changes)} changes over {shards} channels, written in {fill.Elapsed.TotalSeconds:0.0} s");

            var result = await BacklogDrain.MeasureAsync(database, endpoint, changes);
            run.Log($"{tag}: connector runtime: {result.RuntimeStats}");

            var figure = $"{Report.N0(changes)} changes over {shards} channels (shard:{{Shard}}, 100-row statements) → accepted: changes/s";
            if (!result.Done)
            {
                run.Report.Add(Name, figure, result.NotDrained, delivery: result.Delivery);
                run.Report.Print(run.Progress);
                continue;
            }

            var requests = result.Delivery.Counted.BatchRequests;
            run.Log($"{tag}: {Report.N0(result.Rate)} changes/s, {Report.N0(requests)} requests, {Report.N0(result.Delivery.Counted.AcceptedMessages)} messages, " +
                    $"{result.Delivery.RateLimitedText} refused with 429, {result.Delivery.Counted.DuplicateMessages} duplicates, {result.StoreRowsLeft} store rows left; {result.CpuSplit}");
            var text = $"**{Report.N0(result.Rate)}/s** ({result.SecondHalf}{result.Seconds:0.0} s first→last accepted; {result.FromStart:0.0} s from process start; " +
                       $"{Report.N0(requests)} requests, {Report.N0(requests / result.Seconds)}/s; peak RSS {Report.N0(result.PeakRssMb)} MB; {result.CpuSplit}; connector {result.RuntimeStats})";
            var oneChannel = run.Figures.TryGetValue($"drain {plan.Name} bulk", out var single) ? $"one channel, same plan: {Report.N0(single)}/s" : "";
            var baseline = plan.IsLimited ? plan.Ceiling(shards, result.BytesPerChange) + (oneChannel.Length > 0 ? "; " + oneChannel : "") : oneChannel;
            if (plan == BenchPlan.Pro && shards == 100)
            {
                run.Report.AtLeast(Name, figure, result.Rate, ProTarget, Report.N0, text, baseline, result.Delivery);
            }
            else
            {
                run.Report.Add(Name, figure, text, baseline, result.Delivery);
            }

            run.Report.Print(run.Progress);
        }

        run.Report.Note($"sharded: inserts into bench_sharded, whose insert channel is shard:{{Shard}}; each 100-row statement puts row i on shard i mod {shards}, so every store row " +
            "holds changes for every channel. Rows as in drain (about 100 bytes as JSON). Each channel still has one request in flight and its own 50 messages/s; " +
            "ready channels are spread over the batch requests that may be in flight (8 at most, up to 100 channels each). Baseline: what the plan's limits allow at the sizes seen, and the one-channel bulk drain of the same plan in this run.");
    }

    private static async Task FillAsync(BenchDatabase database, int changes, int shards)
    {
        // 100-row statements inside DO blocks (a transaction per block), as the drain's bulk shape.
        var statements = changes / 100;
        for (var done = 0; done < statements; done += 1_000)
        {
            var count = Math.Min(1_000, statements - done);
            await database.ExecuteAsync($"DO $$ BEGIN FOR i IN 1..{count} LOOP {BenchTables.InsertShardedRows("100", shards)}; END LOOP; END $$");
        }

        var remainder = changes - (statements * 100);
        if (remainder > 0)
        {
            await database.ExecuteAsync(BenchTables.InsertShardedRows(remainder.ToString(CultureInfo.InvariantCulture), shards));
        }
    }
}
