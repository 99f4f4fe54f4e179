using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;

namespace AblyPgTyped.Tests.Samples;

/// <summary>The samples, run as a newcomer runs them.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SampleTests(PostgresFixture postgres)
{
    private static readonly string[] s_quickstartLines =
    [
        "  [ably-users-added] insert User { Id = 1, Name = Ada }",
        "  [ably-users-added] insert User { Id = 2, Name = Grace }",
        "  [ably-users-updated] update User { Id = 1, Name = Ada } -> User { Id = 1, Name = Ada Lovelace }",
        "  [ably-users-removed] delete User { Id = 2, Name = Grace }",
        "4 messages received: insert, insert, update, delete. Done.",
    ];

    [Fact]
    public async Task The_quickstart_runs_end_to_end_exactly_as_the_readme_states_it()
    {
        using var quickstart = DotnetProcess.Start(["run", "--project", "samples/Quickstart"]);

        var exitCode = await quickstart.WaitForExitAsync(seconds: 240);

        Assert.True(exitCode == 0, quickstart.Output);
        var lines = quickstart.Output.Split('\n');
        Assert.All(s_quickstartLines, expected => Assert.Contains(expected, lines));
        Assert.Contains(lines, l => l.StartsWith("  PostgreSQL: throwaway cluster", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("  Ably: local endpoint http://127.0.0.1:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_quickstart_uses_a_database_from_the_environment_and_leaves_nothing_behind()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres);
        using var quickstart = DotnetProcess.Start(
            [RepositoryPaths.BuiltProgram("samples/Quickstart", "Quickstart")],
            new Dictionary<string, string?> { ["ABLYPG_CONNECTION_STRING"] = h.ConnectionString });

        var exitCode = await quickstart.WaitForExitAsync(seconds: 120);

        Assert.True(exitCode == 0, quickstart.Output);
        Assert.Contains("(from ABLYPG_CONNECTION_STRING)", quickstart.Output, StringComparison.Ordinal);
        Assert.Contains(s_quickstartLines[^1], quickstart.Output, StringComparison.Ordinal);
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_namespace WHERE nspname IN ('quickstart', 'ablypg_quickstart')"));
        Assert.DoesNotContain(h.ConnectionString, quickstart.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_typed_app_runs_as_a_hosted_service_and_stops_cleanly_on_sigterm()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, System.IO.File.ReadAllText(RepositoryPaths.Combine("samples", "TypedApp", "schema.sql")));
        using var app = DotnetProcess.Start(
            [RepositoryPaths.BuiltProgram("samples/TypedApp", "TypedApp")],
            new Dictionary<string, string?>
            {
                ["ConnectionStrings__Shop"] = h.ConnectionString,
                ["AblyPg__Ably__ApiKey"] = ConnectorHarness.ApiKey,
                ["AblyPg__Ably__RestHost"] = "127.0.0.1",
                ["AblyPg__Ably__Port"] = h.Ably.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["AblyPg__Ably__Tls"] = "false",
            });
        await app.WaitForLineAsync(l => l.Contains("Connector is active", StringComparison.Ordinal));

        await h.ExecuteAsync("""INSERT INTO shop.orders ("Id", "Customer", "Total", "Status", "PaymentToken") VALUES ('7b0d0f4e-5c2a-4f0e-9d7e-0a1b2c3d4e5f', 'Ada', 12.50, 'Placed', 'tok_secret')""");
        await h.ExecuteAsync("""UPDATE shop.orders SET "Status" = 'Paid'""");
        var messages = await h.WaitForMessagesAsync(2);
        await app.WaitForLineAsync(l => l.Contains("Order 7b0d0f4e-5c2a-4f0e-9d7e-0a1b2c3d4e5f: Placed -> Paid", StringComparison.Ordinal));
        app.Terminate();
        var exitCode = await app.WaitForExitAsync(seconds: 30);

        Assert.Equal(0, exitCode);
        Assert.Contains("New order 7b0d0f4e-5c2a-4f0e-9d7e-0a1b2c3d4e5f from Ada", app.Output, StringComparison.Ordinal);
        Assert.Contains("Connector stopped", app.Output, StringComparison.Ordinal);
        Assert.Equal(["orders", "orders:7b0d0f4e-5c2a-4f0e-9d7e-0a1b2c3d4e5f"], messages.Select(m => m.Channel).Order());
        Assert.DoesNotContain(messages, m => m.DataString!.Contains("tok_secret", StringComparison.Ordinal));
        Assert.DoesNotContain("s3cr3t-value", app.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_typed_app_prints_the_ddl_for_review_and_reports_bad_configuration_in_one_line()
    {
        // No API key and no database: reviewing the DDL needs neither.
        using (var print = DotnetProcess.Start(["run", "--project", "samples/TypedApp", "--", "--print-sql"]))
        {
            Assert.Equal(0, await print.WaitForExitAsync(seconds: 60));
            Assert.Contains("CREATE TRIGGER \"ablypg_capture_update\" AFTER UPDATE ON \"shop\".\"stock\"", print.Output, StringComparison.Ordinal);
        }

        using var bad = DotnetProcess.Start([RepositoryPaths.BuiltProgram("samples/TypedApp", "TypedApp")], new Dictionary<string, string?> { ["AblyPg__Ably__ApiKey"] = "" });
        Assert.Equal(2, await bad.WaitForExitAsync(seconds: 60));
        Assert.Equal(
            "Configuration error: AblyPg connector 'shop': AblyOptions.ApiKey: is missing: set it to the full API key \"keyName:keySecret\" (as shown in the Ably dashboard)",
            bad.Output.Trim());

        using var misspelled = DotnetProcess.Start(
            [RepositoryPaths.BuiltProgram("samples/TypedApp", "TypedApp")],
            new Dictionary<string, string?> { ["AblyPg__Ably__ApiKy"] = ConnectorHarness.ApiKey, ["AblyPg__Ably__ApiKey"] = ConnectorHarness.ApiKey });
        Assert.Equal(2, await misspelled.WaitForExitAsync(seconds: 60));
        Assert.StartsWith("Configuration error: AblyPg connector 'shop': the section 'AblyPg' holds a key that is not a setting.", misspelled.Output.Trim(), StringComparison.Ordinal);
        Assert.Contains("'ApiKy'", misspelled.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-value", misspelled.Output, StringComparison.Ordinal);
    }
}
