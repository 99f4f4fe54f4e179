using System.Threading.Tasks;
using AblyPgTyped.Benchmarks.Infrastructure;
using AblyPgTyped.Benchmarks.Scenarios.Logical;

namespace AblyPgTyped.Benchmarks.Scenarios;

/// <summary>
/// Scenario "logical" (issue 11): logical-replication capture beside trigger capture, in the same run and on the same
/// server, started with <c>wal_level=logical</c> (the other scenarios' server keeps a normal install's
/// <c>replica</c>). What writers pay in each mode, with the connector stopped and while it drains; how fast each mode
/// drains a backlog under each plan; a million-row transaction's memory and time to publish; and the WAL a quiet
/// database's slot keeps while another database writes.
/// </summary>
internal static class LogicalScenario
{
    public const string Name = "logical";

    public static async Task RunAsync(BenchmarkRun run)
    {
        await using var server = await PostgresTarget.StartAsync(logical: true);
        run.Report.Header.Add($"database of the {Name} scenario: {server.Description}");
        run.Log($"{Name}: {server.Description}");

        await CaptureWriteCost.RunAsync(run, server);
        await CaptureDrain.RunAsync(run, server);
        await LargeTransaction.RunAsync(run, server);
        await IdleSlot.RunAsync(run, server);
    }
}
