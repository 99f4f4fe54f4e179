using System;
using System.Threading.Tasks;
using AblyPgTyped.Benchmarks.Infrastructure;

namespace AblyPgTyped.Benchmarks.Scenarios;

/// <summary>
/// A quiet channel beside a throttled one, once per limited plan: the quiet channel gets a few changes a second, first
/// alone, then while a hot channel is offered far more than its 50 messages/s carry one change per message. Its latency
/// with the hot channel against its latency alone (the same run, the same connector) shows whether the hot channel's
/// pacing and bundling hold anything else back.
/// </summary>
internal static class QuietChannelScenario
{
    private const string Name = "quiet";
    private const string HotChannel = "shard:0";
    private const string QuietChannel = "shard:1";

    /// <summary>Issue 8: the quiet channel's p99 while another channel is throttled.</summary>
    private const double Target = 50;

    private static readonly TimeSpan QuietWarmup = TimeSpan.FromSeconds(1);

    /// <summary>The hot channel's first seconds are not counted: its bucket starts full, so pacing sets in only then.</summary>
    private static readonly TimeSpan HotWarmup = TimeSpan.FromSeconds(2);

    public static async Task RunAsync(BenchmarkRun run)
    {
        var ran = false;
        foreach (var plan in run.Options.PlanList)
        {
            if (plan.IsLimited)
            {
                await RunPlanAsync(run, await run.Endpoints.ForAsync(plan));
                ran = true;
            }
        }

        if (!ran)
        {
            run.Report.Add(Name, "quiet channel beside a throttled one", "not run: no channel is throttled without a limited plan (--plans standard or pro)");
            return;
        }

        run.Report.Note($"quiet: inserts into bench_sharded: the hot channel is {HotChannel} ({Report.N0(run.Options.HotChannelRate)} single-row transactions/s, 8 connections), " +
            $"the quiet one {QuietChannel} ({Report.N0(run.Options.QuietChannelRate)}/s, 2 connections), both open loop. One connector process; the quiet channel runs alone for " +
            $"{run.Options.QuietSeconds:0} s (after {QuietWarmup.TotalSeconds:0} s of warm-up), then beside the hot channel for as long again (after {HotWarmup.TotalSeconds:0} s in which the hot channel's " +
            "bucket empties and bundling sets in). Latency as in the latency scenario (receipt − capturedAt). Messages per change: of the channel in that row; 429s: all the endpoint refused during the run.");
    }

    private static async Task RunPlanAsync(BenchmarkRun run, BenchEndpoint endpoint)
    {
        var plan = endpoint.Plan;
        var seconds = TimeSpan.FromSeconds(run.Options.QuietSeconds);
        var hotRate = run.Options.HotChannelRate;
        var quietRate = run.Options.QuietChannelRate;
        await using var database = await run.Postgres.CreateDatabaseAsync();
        await run.InstallCaptureAsync(database);
        await using var child = await run.StartConnectorProcessAsync(database, endpoint);
        await Task.Delay(TimeSpan.FromSeconds(1)); // idle: the connector has armed the wake-up

        var quiet = new LatencySamples(QuietChannel);
        var hot = new LatencySamples(HotChannel);
        using var tracker = endpoint.Track();
        var before = await endpoint.CountersAsync();
        using (endpoint.Observe(quiet.OnMessage))
        using (endpoint.Observe(hot.OnMessage))
        {
            // The quiet channel throughout; the hot one joins once the quiet channel's time alone is over.
            var quietStart = DateTimeOffset.UtcNow;
            var quietLoad = OpenLoopLoad.RunAsync(database, Insert(1), quietRate, 1, 2, QuietWarmup, QuietWarmup + seconds + HotWarmup + seconds + TimeSpan.FromSeconds(0.5));
            await Task.Delay(QuietWarmup + seconds);
            var hotStart = DateTimeOffset.UtcNow;
            var hotLoad = await OpenLoopLoad.RunAsync(database, Insert(0), hotRate, 1, 8, HotWarmup, HotWarmup + seconds);
            var quietDone = await quietLoad;
            var delivered = await tracker.WaitForAsync(quietDone.Rows + hotLoad.Rows, TimeSpan.FromSeconds(60));
            var delivery = await Delivery.SinceAsync(endpoint, before, tracker.Count);

            var alone = quiet.Between(quietStart + QuietWarmup, quietStart + QuietWarmup + seconds);
            var together = quiet.Between(hotStart + HotWarmup, hotStart + HotWarmup + seconds);
            var hotLatencies = hot.Between(hotStart + HotWarmup, hotStart + HotWarmup + seconds);
            var quietChanges = quietDone.Rows;
            var hotChanges = hotLoad.Rows;
            var quietDelivery = delivery with { Changes = quietChanges, Counted = delivery.Counted with { AcceptedMessages = quiet.Messages } };
            var hotDelivery = delivery with { Changes = hotChanges, Counted = delivery.Counted with { AcceptedMessages = hot.Messages } };
            var lost = delivered ? "" : $"; only {Report.N0(tracker.Count)} of {Report.N0(quietChanges + hotChanges)} changes delivered within 60 s";
            run.Log($"quiet ({plan.Name}): quiet alone p99 {Report.Ms(LatencySamples.Percentile(alone, 0.99))}, beside the hot channel p99 {Report.Ms(LatencySamples.Percentile(together, 0.99))}; " +
                    $"hot p99 {Report.Ms(LatencySamples.Percentile(hotLatencies, 0.99))}, {hotDelivery.MessagesPerChangeText} messages per change; {delivery.RateLimitedText} refused with 429{lost}");

            var figure = $"quiet channel, {Report.N0(quietRate)} changes/s, while a hot channel is offered {Report.N0(hotRate)} changes/s ({seconds.TotalSeconds:0.#} s): p50 / p99 / max";
            if (together.Length == 0 || alone.Length == 0)
            {
                run.Report.Add(Name, figure, "no samples" + lost, delivery: quietDelivery);
                return;
            }

            run.Report.AtMost(Name, figure, LatencySamples.Percentile(together, 0.99), Target, v => "p99 " + Report.Ms(v),
                $"{LatencySamples.Describe(together)} ({Report.N0(together.Length)} samples{lost})",
                $"quiet channel alone, same run: {LatencySamples.Describe(alone).Replace("**", "", StringComparison.Ordinal)} ({Report.N0(alone.Length)} samples)", quietDelivery);
            run.Report.Print(run.Progress);
            if (hotLatencies.Length > 0)
            {
                run.Report.Add(Name, $"the hot channel beside it, {Report.N0(hotRate)} changes/s offered ({seconds.TotalSeconds:0.#} s): p50 / p99 / max",
                    $"{LatencySamples.Describe(hotLatencies)} (achieved {Report.N0(hotLoad.MeasuredRows / seconds.TotalSeconds)}/s; {Report.N0(hotLatencies.Length)} samples)",
                    $"commit: p99 {Report.Ms(LatencySamples.Percentile(hotLoad.CommitMs, 0.99))}", hotDelivery);
                run.Report.Print(run.Progress);
            }
        }
    }

    private static string Insert(int shard) =>
        $"INSERT INTO {BenchTables.Sharded} (shard, name, email) VALUES ({shard}, 'name-{shard}', 'user{shard}@example.com')";
}
