using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using AblyPgTyped.Benchmarks.Infrastructure;
using Npgsql;

namespace AblyPgTyped.Benchmarks.Scenarios;

/// <summary>
/// Scenario 3: commit → accepted by the endpoint at steady rates. An open-loop generator schedules transactions by
/// wall clock over several connections, so slow commits do not lower the offered rate.
/// </summary>
internal static class LatencyScenario
{
    private const string Name = "latency";
    private const int Connections = 8;

    /// <summary>Above this many transactions per second the generator puts several rows in each (2 cores cannot commit much more).</summary>
    private const int MaxTransactionsPerSecond = 2_000;

    public static async Task RunAsync(BenchmarkRun run)
    {
        await using var database = await run.Postgres.CreateDatabaseAsync();
        await run.InstallCaptureAsync(database);
        await using var child = await run.StartConnectorProcessAsync(database);
        await Task.Delay(TimeSpan.FromSeconds(1)); // idle: the connector has armed the wake-up

        var samples = new Samples();
        using (run.Endpoint.Observe(samples.OnMessage))
        {
            foreach (var rate in run.Options.RateList)
            {
                await RunRateAsync(run, database, samples, rate, run.Options.LatencySeconds);
            }
        }

        run.Report.Note("latency: latency = the endpoint's receipt time (DateTimeOffset.UtcNow when LocalAbly accepted the request) − the change's " +
            "capturedAt (clock_timestamp() in the capture trigger, inside the writing transaction, just before its commit). Both read this machine's " +
            "one system clock (CLOCK_REALTIME), so there is no offset between clocks; the figure includes the commit itself. " +
            $"Generator: open loop, {Connections} connections, transactions due by wall clock; up to {Report.N0(MaxTransactionsPerSecond)} tx/s one row each, " +
            "above that several rows per INSERT. The first fifth of each run (at most 2 s) is warm-up and not counted. " +
            "Baseline column: the writers' own commit time in the same run. Original (NOTIFY-based): p99 207 ms at 1,000/s, falls behind above ~2,000/s.");
    }

    private static async Task RunRateAsync(BenchmarkRun run, BenchDatabase database, Samples samples, int rate, double seconds)
    {
        var rowsPerTransaction = (int)Math.Ceiling(rate / (double)MaxTransactionsPerSecond);
        var transactionsPerSecond = rate / (double)rowsPerTransaction;
        var warmup = TimeSpan.FromSeconds(Math.Min(2, seconds / 5));
        var measured = TimeSpan.FromSeconds(seconds);

        using var tracker = run.Endpoint.Track();
        samples.Open(DateTimeOffset.UtcNow + warmup, DateTimeOffset.UtcNow + warmup + measured);
        var load = await GenerateAsync(database, transactionsPerSecond, rowsPerTransaction, warmup, warmup + measured);
        var delivered = await tracker.WaitForAsync(load.Rows, TimeSpan.FromSeconds(60));
        var latencies = samples.Close();

        var achieved = load.MeasuredRows / measured.TotalSeconds;
        var shape = rowsPerTransaction == 1 ? "1 row/tx" : $"{rowsPerTransaction} rows/tx";
        var figure = $"{Report.N0(rate)} changes/s offered ({Report.N0(transactionsPerSecond)} tx/s, {shape}, {seconds:0} s): p50 / p99 / max";
        if (latencies.Length == 0)
        {
            run.Report.Add(Name, figure, "no samples");
            return;
        }

        var p50 = Percentile(latencies, 0.50);
        var p99 = Percentile(latencies, 0.99);
        var max = latencies[^1];
        var result = $"**{Report.Ms(p50)} / {Report.Ms(p99)}** / {Report.Ms(max)} (achieved {Report.N0(achieved)}/s; {Report.N0(latencies.Length)} samples; max schedule lag {Report.Ms(load.MaxLagMs)}" +
                     (delivered ? ")" : $"; only {Report.N0(tracker.Count)} of {Report.N0(load.Rows)} delivered within 60 s)");
        var baseline = $"commit: p50 {Report.Ms(Percentile(load.CommitMs, 0.5))}, p99 {Report.Ms(Percentile(load.CommitMs, 0.99))}";
        run.Log($"latency at {rate}/s: p50 {p50:0.0} ms, p99 {p99:0.0} ms, max {max:0.0} ms, achieved {achieved:0}/s");

        var target = rate switch { 1_000 => 20, 10_000 => 100, _ => (double?)null };
        if (target is { } limit)
        {
            run.Report.AtMost(Name, figure, p99, limit, v => "p99 " + Report.Ms(v), result, baseline);
        }
        else
        {
            run.Report.Add(Name, figure, result, baseline);
        }

        run.Report.Print(run.Progress);
    }

    /// <summary>Transactions due at <c>start + i / rate</c>, taken by whichever connection is free; a late one still runs, at once.</summary>
    private static async Task<Load> GenerateAsync(BenchDatabase database, double transactionsPerSecond, int rowsPerTransaction, TimeSpan warmup, TimeSpan duration)
    {
        var due = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleWriter = true });
        var sql = BenchTables.InsertRows(BenchTables.Captured, rowsPerTransaction.ToString(CultureInfo.InvariantCulture));
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var commits = new List<double>();
        long rows = 0, measuredRows = 0, maxLag = 0;

        async Task WorkAsync()
        {
            await using var connection = await database.Source.OpenConnectionAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            await command.PrepareAsync();
            var mine = new List<double>();
            await foreach (var when in due.Reader.ReadAllAsync())
            {
                var begun = Stopwatch.GetTimestamp();
                InterlockedMax(ref maxLag, begun - when);
                await command.ExecuteNonQueryAsync();
                var ended = Stopwatch.GetTimestamp();
                Interlocked.Add(ref rows, rowsPerTransaction);
                if (when >= measureFrom)
                {
                    Interlocked.Add(ref measuredRows, rowsPerTransaction);
                    mine.Add(BenchmarkRun.Seconds(begun, ended) * 1000);
                }
            }

            lock (commits)
            {
                commits.AddRange(mine);
            }
        }

        var workers = Enumerable.Range(0, Connections).Select(_ => Task.Run(WorkAsync)).ToArray();
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var ticksPerTransaction = Stopwatch.Frequency / transactionsPerSecond;
        for (long i = 0; ; i++)
        {
            var when = start + (long)(i * ticksPerTransaction);
            if (when >= end)
            {
                break;
            }

            var wait = when - Stopwatch.GetTimestamp();
            if (wait > Stopwatch.Frequency / 1000)
            {
                await Task.Delay(TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency));
            }

            due.Writer.TryWrite(when);
        }

        due.Writer.Complete();
        await Task.WhenAll(workers);
        var commitMs = commits.ToArray();
        Array.Sort(commitMs);
        return new Load(rows, measuredRows, commitMs, BenchmarkRun.Seconds(0, maxLag) * 1000);
    }

    private static double Percentile(double[] sorted, double fraction) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(fraction * sorted.Length) - 1)];

    private static void InterlockedMax(ref long location, long value)
    {
        var current = Interlocked.Read(ref location);
        while (value > current && Interlocked.CompareExchange(ref location, value, current) is var seen && seen != current)
        {
            current = seen;
        }
    }

    private sealed record Load(long Rows, long MeasuredRows, double[] CommitMs, double MaxLagMs);

    /// <summary>Latencies of the changes captured inside the measured window.</summary>
    private sealed class Samples
    {
        private readonly List<double> _latencies = [];
        private DateTimeOffset _from = DateTimeOffset.MaxValue;
        private DateTimeOffset _to = DateTimeOffset.MinValue;

        public void Open(DateTimeOffset from, DateTimeOffset to)
        {
            lock (_latencies)
            {
                _latencies.Clear();
                _from = from;
                _to = to;
            }
        }

        public double[] Close()
        {
            lock (_latencies)
            {
                var sorted = _latencies.ToArray();
                Array.Sort(sorted);
                _from = DateTimeOffset.MaxValue;
                return sorted;
            }
        }

        public void OnMessage(string data, DateTimeOffset receivedAt)
        {
            if (CapturedAt(data) is not { } capturedAt)
            {
                return;
            }

            lock (_latencies)
            {
                if (capturedAt >= _from && capturedAt < _to)
                {
                    _latencies.Add((receivedAt - capturedAt).TotalMilliseconds);
                }
            }
        }

        /// <summary>The envelope's <c>capturedAt</c>, written as <c>yyyy-MM-ddTHH:mm:ss.ffffffZ</c>.</summary>
        private static DateTimeOffset? CapturedAt(string data)
        {
            const string Property = "\"capturedAt\":\"";
            var start = data.IndexOf(Property, StringComparison.Ordinal);
            if (start < 0)
            {
                return null;
            }

            start += Property.Length;
            var end = data.IndexOf('"', start);
            return DateTimeOffset.TryParseExact(data.AsSpan(start, end - start), "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value) ? value : null;
        }
    }
}
