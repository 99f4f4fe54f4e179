using System;
using System.Globalization;
using System.Threading.Tasks;

namespace AblyPgTyped.Benchmarks.Infrastructure;

/// <summary>
/// One pgbench run of a write script against a benchmark table, with the server's CPU per transaction: what the write
/// and logical scenarios compare, captured against uncaptured.
/// </summary>
internal static class WriteLoad
{
    /// <summary>
    /// Runs <paramref name="script"/> (with <c>{0}</c> for the table) on <paramref name="table"/>. With
    /// <paramref name="reset"/>, the tables are emptied and checkpointed first and the server's CPU per transaction is
    /// measured; without it (while a connector drains), the server's CPU is not the writers' alone and is not.
    /// </summary>
    public static async Task<PgbenchResult> RunAsync(
        BenchmarkRun run, PostgresTarget server, BenchDatabase database, string script, string table, int clients, double seconds, string label,
        bool reset = true, int rowsPerTransaction = 1)
    {
        if (reset)
        {
            await database.ResetTablesAsync();
        }

        var postmaster = database.PostmasterProcessId;
        var cpuBefore = postmaster is { } before ? await CpuMeter.SettledPostgresSecondsAsync(before) : 0;
        var tps = await Pgbench.RunAsync(server.BinDirectory, database.ConnectionString, Script(script, table), clients, seconds);
        var cpuPerTransaction = postmaster is { } after && reset
            ? (await CpuMeter.SettledPostgresSecondsAsync(after) - cpuBefore) / Transactions(tps, seconds) * 1e6
            : (double?)null;
        var result = new PgbenchResult(tps, tps * rowsPerTransaction, cpuPerTransaction);
        run.Log($"{label}: {clients} writers, {rowsPerTransaction} row(s)/tx: {Report.N0(tps)} TPS{result.CpuText}");
        return result;
    }

    /// <summary>The script with the table filled in.</summary>
    public static string Script(string script, string table) => string.Format(CultureInfo.InvariantCulture, script, table);

    /// <summary>The transactions a run of <paramref name="seconds"/> at <paramref name="tps"/> committed (pgbench runs whole seconds).</summary>
    public static double Transactions(double tps, double seconds) => tps * Math.Max(1, Math.Round(seconds));
}

/// <summary>One pgbench run: transactions and rows per second, and the server's CPU per transaction when it was measured.</summary>
internal sealed record PgbenchResult(double Tps, double Rows, double? CpuMicrosPerTransaction)
{
    public string CpuText => CpuMicrosPerTransaction is { } cpu ? $"; {cpu:0} µs PostgreSQL CPU per tx" : "";
}
