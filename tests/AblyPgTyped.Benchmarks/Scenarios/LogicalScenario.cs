using System.Linq;
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

        var parts = run.Options.LogicalParts;
        if (parts.Contains("write"))
        {
            await CaptureWriteCost.RunAsync(run, server);
        }

        if (parts.Contains("drain"))
        {
            await CaptureDrain.RunAsync(run, server);
        }

        if (parts.Contains("large"))
        {
            await LargeTransaction.RunAsync(run, server);
        }

        if (parts.Contains("idle"))
        {
            await IdleSlot.RunAsync(run, server);
        }
    }
}
