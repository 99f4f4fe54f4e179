using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Npgsql;

namespace AblyPgTyped.Benchmarks.Infrastructure;

/// <summary>
/// An open-loop write load: transactions due at <c>start + i / rate</c> by wall clock, taken by whichever of its
/// connections is free, so slow commits do not lower the offered rate; a late one still runs, at once.
/// </summary>
internal static class OpenLoopLoad
{
    /// <summary>Runs <paramref name="sql"/> (one transaction of <paramref name="rowsPerTransaction"/> rows) at <paramref name="transactionsPerSecond"/> for <paramref name="duration"/>.</summary>
    /// <param name="warmup">Transactions due before this are run but not counted in <see cref="LoadResult.MeasuredRows"/> and the commit times.</param>
    public static async Task<LoadResult> RunAsync(
        BenchDatabase database, string sql, double transactionsPerSecond, int rowsPerTransaction, int connections, TimeSpan warmup, TimeSpan duration)
    {
        var due = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleWriter = true });
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

        var workers = Enumerable.Range(0, connections).Select(_ => Task.Run(WorkAsync)).ToArray();
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
        return new LoadResult(rows, measuredRows, commitMs, BenchmarkRun.Seconds(0, maxLag) * 1000);
    }

    private static void InterlockedMax(ref long location, long value)
    {
        var current = Interlocked.Read(ref location);
        while (value > current && Interlocked.CompareExchange(ref location, value, current) is var seen && seen != current)
        {
            current = seen;
        }
    }
}

/// <summary>What a load wrote: rows in all, rows due after the warm-up, the sorted commit times (ms) of those, and the latest a transaction started.</summary>
internal sealed record LoadResult(long Rows, long MeasuredRows, double[] CommitMs, double MaxLagMs);
