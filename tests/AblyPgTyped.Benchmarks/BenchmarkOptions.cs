using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace AblyPgTyped.Benchmarks;

/// <summary>The command line. Each scenario has its own size or duration; <c>--smoke</c> shrinks them all.</summary>
internal sealed class BenchmarkOptions
{
    public const string Usage = """
        AblyPgTyped benchmarks (issue 5). Prints a markdown table of figures, targets and same-run baselines.

          dotnet run -c Release --project tests/AblyPgTyped.Benchmarks [-- [scenario ...] [options]]

        Scenarios (default: all, in this order):
          write     write overhead of capture, pgbench: 8 single-row writers, 4 writers of 100-row INSERTs
          drain     a captured backlog drained by a connector in its own process: changes/s, peak RSS
          latency   commit -> accepted by the endpoint at steady, open-loop rates: p50, p99, max
          fanout    one drain of changes that each have a channel of their own: changes/s, requests/s
          startup   process start -> first message accepted, capture already installed
          backfill  BackfillAsync of an existing table at the Standard plan, bundling on: rows/s until all accepted

        Options:
          --smoke                  every scenario at tiny sizes (well under a minute)
          --seconds N              write: seconds per pgbench run (8); latency: seconds per rate (30)
          --repeats N              write: uncaptured/captured pairs per workload (3; the median pair is reported)
          --changes N              drain: captured changes (1000000); backfill: rows (1000000)
          --drain-shapes a,b       drain: bulk (100-row statements) and/or single (1-row statements) (bulk,single)
          --explain                drain: log EXPLAIN (ANALYZE, BUFFERS) of the drain's read and delete first
          --rates a,b,c            latency: changes per second (100,1000,10000)
          --channels N             fanout: distinct channels (100000)
          --runs N                 startup: process starts (5)
          --ably-host H --ably-port P --ably-key K
                                   use a running LocalAbly endpoint (it is observed through /_local/)
          --output FILE            also write the table to FILE
          ABLYPG_TEST_CONNECTION_STRING=...  use an existing PostgreSQL server instead of a throwaway one
        """;

    public static readonly string[] AllScenarios = ["write", "drain", "latency", "fanout", "startup", "backfill"];

    public List<string> Scenarios { get; } = [];

    public bool Smoke { get; private set; }

    public double? Seconds { get; private set; }

    public int? Changes { get; private set; }

    public IReadOnlyList<string>? DrainShapes { get; private set; }

    public IReadOnlyList<int>? Rates { get; private set; }

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

    public double LatencySeconds => Seconds ?? (Smoke ? 2 : 30);

    public int DrainChanges => Changes ?? (Smoke ? 5_000 : 1_000_000);

    public IReadOnlyList<string> DrainShapeList => DrainShapes ?? ["bulk", "single"];

    public IReadOnlyList<int> RateList => Rates ?? (Smoke ? [100, 1000] : [100, 1000, 10_000]);

    public int FanoutChannels => Channels ?? (Smoke ? 2_000 : 100_000);

    public int StartupRuns => Runs ?? (Smoke ? 1 : 5);

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
                case "--channels":
                    options.Channels = Int(Next(args, ref i));
                    break;
                case "--repeats":
                    options.Repeats = Int(Next(args, ref i));
                    break;
                case "--runs":
                    options.Runs = Int(Next(args, ref i));
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
