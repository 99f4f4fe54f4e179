using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Npgsql;

namespace AblyPgTyped.Benchmarks.Infrastructure;

/// <summary>Runs pgbench with a custom script, as the reference measurements did (simple protocol, no vacuum, 2 threads).</summary>
internal static partial class Pgbench
{
    /// <summary>Transactions per second over <paramref name="seconds"/>, without connection set-up.</summary>
    public static Task<double> RunAsync(string binDirectory, string connectionString, string script, int clients, double seconds) =>
        RunAsync(binDirectory, connectionString, script, clients, "-T", Math.Max(1, (int)Math.Round(seconds)));

    /// <summary>
    /// Runs <paramref name="transactionsPerClient"/> transactions on each of <paramref name="clients"/> connections, as
    /// many writers would (a backlog written in realistic transactions); returns transactions per second.
    /// </summary>
    public static Task<double> RunTransactionsAsync(string binDirectory, string connectionString, string script, int clients, int transactionsPerClient) =>
        RunAsync(binDirectory, connectionString, script, clients, "-t", transactionsPerClient);

    private static async Task<double> RunAsync(string binDirectory, string connectionString, string script, int clients, string durationFlag, int duration)
    {
        var path = Path.Combine(Path.GetTempPath(), $"ablypg-bench-{Guid.NewGuid():N}.sql");
        await File.WriteAllTextAsync(path, script);
        try
        {
            var target = new NpgsqlConnectionStringBuilder(connectionString);
            var executable = string.IsNullOrEmpty(binDirectory) ? "pgbench" : Path.Combine(binDirectory, "pgbench");
            var start = new ProcessStartInfo(executable)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                Environment = { ["PGPASSWORD"] = target.Password ?? "" },
            };
            foreach (var argument in new[]
            {
                "-n", "-h", target.Host ?? "127.0.0.1", "-p", target.Port.ToString(CultureInfo.InvariantCulture), "-U", target.Username ?? "postgres",
                "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", Math.Min(clients, Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture),
                durationFlag, duration.ToString(CultureInfo.InvariantCulture), "-f", path, target.Database ?? "postgres",
            })
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {executable}.");
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            var text = await output;
            var match = TpsLine().Match(text);
            if (process.ExitCode != 0 || !match.Success)
            {
                throw new InvalidOperationException($"pgbench failed (exit {process.ExitCode}):\n{text}\n{await errors}");
            }

            return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsLine();
}
