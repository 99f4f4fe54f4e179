using System;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Config;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace AblyPgTyped.Tests.Cli;

/// <summary><c>ablypg backfill</c> with the original's config file, beside <c>ablypg run</c>.</summary>
[Collection(PostgresCollection.Name)]
public class BackfillCommandTests(PostgresFixture postgres, ITestOutputHelper output)
{
    protected virtual CaptureMode Capture => CaptureMode.Triggers;

    [Fact]
    public async Task Backfill_publishes_the_filtered_rows_as_snapshots_and_reports_its_status()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, ConfigFileTests.UsersTable);
        await h.ExecuteAsync("INSERT INTO users SELECT g, 'user ' || g FROM generate_series(1, 2000) g");
        using var folder = new ConfigFolder();
        var path = folder.WriteJsonExample(
            "config/default.json", ConfigTarget.Of(h), Capture == CaptureMode.LogicalReplication ? root => root["capture"] = "logical-replication" : null);
        using var run = CliProcess.Start("run", path);
        await run.WaitForOutputAsync("Started from " + path, TimeSpan.FromSeconds(30));

        // The original's example table has no primary key: refused, with the reason.
        using (var refused = await CliProcess.RunAsync("backfill", "users", path))
        {
            Assert.Equal(2, refused.ExitCode);
            Assert.Contains("\"public\".\"users\" has no primary key", refused.Error, StringComparison.Ordinal);
        }

        await h.ExecuteAsync("ALTER TABLE users ADD PRIMARY KEY (id)");
        using var backfill = CliProcess.Start("backfill", "users", "--where", "id > 1000 AND name LIKE 'user %'", path);
        var exitCode = await backfill.WaitForExitAsync(TimeSpan.FromSeconds(90));
        output.WriteLine(backfill.Output + backfill.Error);
        Assert.Equal(0, exitCode);
        Assert.Contains("backfill 1 of public.users recorded", backfill.Output, StringComparison.Ordinal);
        Assert.Contains("ablypg: backfill 1 done: 1000 row(s) published.", backfill.Output, StringComparison.Ordinal);

        var changes = h.Ably.GetMessages("ably-users-added").SelectMany(m =>
        {
            using var data = JsonDocument.Parse(m.DataString!);
            var list = data.RootElement.TryGetProperty("changes", out var bundled) ? bundled.EnumerateArray().ToArray() : [data.RootElement];
            return list.Select(c => (Operation: c.GetProperty("operation").GetString(), Id: c.GetProperty("new").GetProperty("id").GetInt32())).ToArray();
        }).ToList();
        Assert.All(changes, c => Assert.Equal("snapshot", c.Operation));
        Assert.Equal(Enumerable.Range(1001, 1000), changes.Select(c => c.Id));

        using var status = await CliProcess.RunAsync("backfill", "--status", path);
        Assert.Equal(0, status.ExitCode);
        Assert.Contains("backfill 1 public.users: done, 1000 row(s), updated ", status.Output, StringComparison.Ordinal);

        using (var finished = await CliProcess.RunAsync("backfill", "--cancel", "1", path))
        {
            Assert.Equal(0, finished.ExitCode);
            Assert.Contains("ablypg: backfill 1 was no longer running (done); nothing to cancel.", finished.Output, StringComparison.Ordinal);
        }

        using (var unknown = await CliProcess.RunAsync("backfill", "--cancel", "99", path))
        {
            Assert.Equal(2, unknown.ExitCode);
            Assert.Contains("There is no backfill 99.", unknown.Error, StringComparison.Ordinal);
        }

        using (var notANumber = await CliProcess.RunAsync("backfill", "--cancel", "users", path))
        {
            Assert.Equal(2, notANumber.ExitCode);
            Assert.Contains("--cancel needs the id of a backfill", notANumber.Error, StringComparison.Ordinal);
        }

        using (var badFilter = await CliProcess.RunAsync("backfill", "users", "--where", "no_such_column = 1", path))
        {
            Assert.Equal(2, badFilter.ExitCode);
            Assert.Contains("column \"no_such_column\" does not exist", badFilter.Error, StringComparison.Ordinal);
        }

        await run.TerminateAsync();
        Assert.Equal(0, await run.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }
}
