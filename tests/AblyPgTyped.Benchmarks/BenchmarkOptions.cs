using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using AblyPgTyped.Benchmarks.Infrastructure;

namespace AblyPgTyped.Benchmarks;

/// <summary>The command line. Each scenario has its own size or duration; <c>--smoke</c> shrinks them all.</summary>
internal sealed class BenchmarkOptions
{
    public const string Usage = """
        AblyPgTyped benchmarks (issues 5, 8 and 11). Prints a markdown table of figures, targets and same-run baselines.

          dotnet run -c Release --project tests/AblyPgTyped.Benchmarks [-- [scenario ...] [options]]

        Scenarios (default: all, in this order):
          write     write overhead of capture, pgbench: 8 single-row writers, 4 writers of 100-row INSERTs
          drain     a captured backlog on one channel, drained by a connector in its own process: changes/s, peak RSS
          sharded   a captured backlog spread over 100 channels, drained the same way: changes/s
          latency   commit -> accepted by the endpoint at steady, open-loop rates on one channel: p50, p99, max
          quiet     a quiet channel's latency while another channel gets far more than its 50 messages/s allow
          fanout    one drain of changes that each have a channel of their own: changes/s, requests/s
          startup   process start -> first message accepted, capture already installed
          backfill  BackfillAsync of an existing table at the Standard plan, bundling on: rows/s until all accepted
          telemetry the drain's bulk backlog drained with and without a metrics and tracing listener, alternately,
                    under unlimited (or the first plan given): the drain rate each way and the difference
          logical   logical-replication capture beside triggers, on a server with wal_level=logical: write cost
                    (connector stopped, and server CPU per tx while it drains), backlog drains per plan, a one-transaction
                    UPDATE of a million rows (peak RSS, time to publish), WAL a quiet database's slot keeps

        drain, sharded, latency and fanout run once per plan, quiet once per limited plan, the logical scenario's drains
        once per plan. Under a plan the local endpoint enforces that plan's limits and the connector paces itself to the
        same plan, bundling as it does by default; under unlimited neither has limits and the connector sends one
        message per change (the baseline).

        Options:
          --plans a,b              standard, pro and/or unlimited (standard,pro,unlimited; --smoke: standard,unlimited)
          --smoke                  every scenario at tiny sizes, fewer plans, shapes and rates (a few minutes)
          --seconds N              write, logical: seconds per pgbench run (8); latency: seconds per rate (15);
                                   quiet: seconds alone and seconds beside the hot channel (25 each)
          --repeats N              write, logical: uncaptured/captured runs per workload (3; the median is reported);
                                   telemetry: unlistened/listened pairs (2; --smoke: 1)
          --changes N              drain, sharded and logical: captured changes (drain and logical: 1000000 under
                                   unlimited, 300000 under a limited plan; sharded: 1000000); backfill: rows (1000000);
                                   telemetry: 200000
          --drain-shapes a,b       drain: bulk (100-row statements) and/or single (1-row statements) (bulk,single;
                                   --smoke: bulk)
          --explain                drain: log EXPLAIN (ANALYZE, BUFFERS) of the drain's read and delete first
          --shards N               sharded: channels the backlog is spread over (100)
          --rates a,b,c            latency: changes per second (100,1000,10000; --smoke: 1000)
          --hot-rate N             quiet: changes per second on the hot channel (1000)
          --quiet-rate N           quiet: changes per second on the quiet channel (10; --smoke: 20)
          --channels N             fanout: distinct channels (100000; under a limited plan at most 10 s of the
                                   account's message rate: 25000 on Standard)
          --runs N                 startup: process starts (5)
          --update-rows N          logical: rows of the one-transaction UPDATE (1000000; --smoke: 10000)
          --logical a,b            logical: which parts to run: write, drain, large and/or idle (all)
          --idle-minutes N         logical: how long the quiet database's slot is watched (2, a quick run; the
                                   documented figure uses 10; --smoke: 0.1)
          --endpoint-delay MS      delay every publish request at the in-process endpoints by MS milliseconds,
                                   as the network round trip to Ably would (0)
          --ably-host H --ably-port P --ably-key K
                                   use a running LocalAbly endpoint (it is observed through /_local/); it serves
                                   only the plan it was started with, so --plans must name that one
          --output FILE            also write the table to FILE
          ABLYPG_TEST_CONNECTION_STRING=...  use an existing PostgreSQL server instead of a throwaway one
        """;

    public static readonly string[] AllScenarios = ["write", "drain", "sharded", "latency", "quiet", "fanout", "startup", "backfill", "telemetry", "logical"];

    public List<string> Scenarios { get; } = [];

    public bool Smoke { get; private set; }

    public double? Seconds { get; private set; }

    public int? Changes { get; private set; }

    public IReadOnlyList<string>? DrainShapes { get; private set; }

    public IReadOnlyList<int>? Rates { get; private set; }

    public IReadOnlyList<BenchPlan>? Plans { get; private set; }

    public int? Shards { get; private set; }

    public int? HotRate { get; private set; }

    /// <summary>Delay added to every publish request at the in-process endpoints, as a network round trip would add.</summary>
    public TimeSpan EndpointDelay { get; private set; }

    public int? QuietRate { get; private set; }

    public int? Channels { get; private set; }

    public int? Runs { get; private set; }

    public string? AblyHost { get; private set; }

    public int? AblyPort { get; private set; }

    public string? AblyKey { get; private set; }

    public string? Output { get; private set; }

    public bool Help { get; private set; }

    public bool Explain { get; private set; }

    public IEnumerable<string> SelectedScenarios => Scenarios.Count == 0 ? AllScenarios : AllScenarios.Where(Scenarios.Contains);

    public double WriteSeconds => Seconds ?? (Smoke ? 1 : 8);

    public int WriteRepeats => Repeats ?? (Smoke ? 1 : 3);

    public int? Repeats { get; private set; }

    public double LatencySeconds => Seconds ?? (Smoke ? 2 : 15);

    public double QuietSeconds => Seconds ?? (Smoke ? 1.5 : 25);

    /// <summary>The plans to measure under, in the order given.</summary>
    public IReadOnlyList<BenchPlan> PlanList => Plans ?? (Smoke ? [BenchPlan.Standard, BenchPlan.Unlimited] : BenchPlan.All);

    /// <summary>Changes in the one-channel backlog: a limited plan drains one channel far slower, so it gets less.</summary>
    public int DrainChanges(BenchPlan plan) => Changes ?? (Smoke ? 5_000 : plan.IsLimited ? 300_000 : 1_000_000);

    public int ShardedChanges => Changes ?? (Smoke ? 10_000 : 1_000_000);

    public int TelemetryChanges => Changes ?? (Smoke ? 5_000 : 200_000);

    public int TelemetryPairs => Repeats ?? (Smoke ? 1 : 2);

    public int ShardCount => Shards ?? 100;

    public IReadOnlyList<string> DrainShapeList => DrainShapes ?? (Smoke ? ["bulk"] : ["bulk", "single"]);

    public IReadOnlyList<int> RateList => Rates ?? (Smoke ? [1000] : [100, 1000, 10_000]);

    public int HotChannelRate => HotRate ?? 1_000;

    public int QuietChannelRate => QuietRate ?? (Smoke ? 20 : 10);

    /// <summary>Fan-out channels: under a limited plan at most 10 seconds of the account's message rate.</summary>
    public int FanoutChannels(BenchPlan plan)
    {
        var channels = Channels ?? (Smoke ? 2_000 : 100_000);
        return plan.IsLimited ? (int)Math.Min(channels, 10 * plan.Limits.AccountMessagesPerSecond) : channels;
    }

    public int StartupRuns => Runs ?? (Smoke ? 1 : 5);

    public int? UpdateRows { get; private set; }

    public double? IdleMinutes { get; private set; }

    /// <summary>The logical scenario's parts to run, in their order: write, drain, large, idle.</summary>
    public IReadOnlyList<string> LogicalParts { get; private set; } = AllLogicalParts;

    public static readonly string[] AllLogicalParts = ["write", "drain", "large", "idle"];

    /// <summary>Rows of the logical scenario's one-transaction UPDATE.</summary>
    public int LargeUpdateRows => UpdateRows ?? (Smoke ? 10_000 : 1_000_000);

    /// <summary>How long the logical scenario watches a quiet database's slot: short by default; the documented figure is 10 minutes.</summary>
    public double SlotIdleMinutes => IdleMinutes ?? (Smoke ? 0.1 : 2);

    public static BenchmarkOptions Parse(string[] args)
    {
        var options = new BenchmarkOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "-h" or "--help":
                    options.Help = true;
                    break;
                case "--explain":
                    options.Explain = true;
                    break;
                case "--smoke":
                    options.Smoke = true;
                    break;
                case "--seconds":
                    options.Seconds = double.Parse(Next(args, ref i), CultureInfo.InvariantCulture);
                    break;
                case "--changes":
                    options.Changes = Int(Next(args, ref i));
                    break;
                case "--drain-shapes":
                    options.DrainShapes = List(Next(args, ref i), s => s is "bulk" or "single" ? s : throw new ArgumentException($"--drain-shapes takes bulk and/or single, not '{s}'."));
                    break;
                case "--rates":
                    options.Rates = List(Next(args, ref i), Int);
                    break;
                case "--plans":
                    options.Plans = List(Next(args, ref i), BenchPlan.Parse).Distinct().ToList();
                    break;
                case "--shards":
                    options.Shards = Int(Next(args, ref i));
                    break;
                case "--endpoint-delay":
                    options.EndpointDelay = TimeSpan.FromMilliseconds(Int(Next(args, ref i)));
                    break;
                case "--hot-rate":
                    options.HotRate = Int(Next(args, ref i));
                    break;
                case "--quiet-rate":
                    options.QuietRate = Int(Next(args, ref i));
                    break;
                case "--channels":
                    options.Channels = Int(Next(args, ref i));
                    break;
                case "--repeats":
                    options.Repeats = Int(Next(args, ref i));
                    break;
                case "--runs":
                    options.Runs = Int(Next(args, ref i));
                    break;
                case "--update-rows":
                    options.UpdateRows = Int(Next(args, ref i));
                    break;
                case "--logical":
                    options.LogicalParts = List(Next(args, ref i), p => AllLogicalParts.Contains(p) ? p : throw new ArgumentException($"--logical takes write, drain, large and/or idle, not '{p}'."));
                    break;
                case "--idle-minutes":
                    var minutes = double.Parse(Next(args, ref i), CultureInfo.InvariantCulture);
                    options.IdleMinutes = minutes > 0 ? minutes : throw new ArgumentException("--idle-minutes must be positive.");
                    break;
                case "--ably-host":
                    options.AblyHost = Next(args, ref i);
                    break;
                case "--ably-port":
                    options.AblyPort = Int(Next(args, ref i));
                    break;
                case "--ably-key":
                    options.AblyKey = Next(args, ref i);
                    break;
                case "--output":
                    options.Output = Next(args, ref i);
                    break;
                default:
                    if (!AllScenarios.Contains(arg))
                    {
                        throw new ArgumentException($"Unknown argument '{arg}'. Scenarios are {string.Join(", ", AllScenarios)}; --help lists the options.");
                    }

                    options.Scenarios.Add(arg);
                    break;
            }
        }

        if (options.Plans is { Count: 0 })
        {
            throw new ArgumentException("--plans needs at least one of standard, pro and unlimited.");
        }

        if ((options.AblyHost is null) != (options.AblyPort is null) || (options.AblyHost is null) != (options.AblyKey is null))
        {
            throw new ArgumentException("--ably-host, --ably-port and --ably-key go together.");
        }

        return options;
    }

    private static string Next(string[] args, ref int i) =>
        ++i < args.Length ? args[i] : throw new ArgumentException($"{args[i - 1]} needs a value.");

    private static int Int(string text)
    {
        var value = int.Parse(text.Replace("_", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
        return value > 0 ? value : throw new ArgumentException($"{text} must be positive.");
    }

    private static List<T> List<T>(string text, Func<string, T> parse) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(parse).ToList();
}
