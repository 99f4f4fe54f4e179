using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace AblyPgTyped.Tests.Realtime;

/// <summary>
/// The quickstart's <c>--watch</c>, as a frontend developer uses it: the sample page samples/LiveTable, served by the
/// local endpoint, open in a real (headless) Chromium, showing the table as rows are written.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class LiveTableBrowserTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private const string PageLine = "The table, live in a browser (ably-js Realtime): ";

    /// <summary>The table's rows as the page shows them: [id, name] per row, and the connection state.</summary>
    private const string ReadTable = """
        JSON.stringify({
          state: document.getElementById('status')?.dataset.state ?? 'loading',
          rows: [...document.querySelectorAll('#rows tbody tr')].map(tr => [...tr.children].slice(0, 2).map(td => td.textContent)),
        })
        """;

    [Fact]
    public async Task The_live_table_page_shows_each_commit_in_chromium_within_a_second()
    {
        var chromium = HeadlessChromium.FindExecutable(); // fails first, with what to install, if there is none
        output.WriteLine("Chromium: " + chromium);
        var liveTable = RepositoryPaths.Combine("samples", "LiveTable");
        await AblyJs.EnsureInstalledAsync(liveTable, Path.Combine("node_modules", "ably", "build", "ably.min.js"));

        await using var h = await ConnectorHarness.StartAsync(postgres);
        using var quickstart = DotnetProcess.Start(
            [RepositoryPaths.BuiltProgram("samples/Quickstart", "Quickstart"), "--watch"],
            new Dictionary<string, string?> { ["ABLYPG_CONNECTION_STRING"] = h.ConnectionString });
        await quickstart.WaitForLineAsync(l => l.Contains(PageLine, StringComparison.Ordinal), seconds: 180);
        var url = quickstart.Output.Split('\n').Single(l => l.Contains(PageLine, StringComparison.Ordinal)).Split(PageLine)[1].Trim();
        Assert.Matches(@"^http://127\.0\.0\.1:\d+/_local/live-table/\?channels=ably-users-added,ably-users-updated,ably-users-removed&table=quickstart\.users$", url);

        await using var browser = await HeadlessChromium.StartAsync(width: 900, height: 620);
        await browser.OpenAsync(url);

        // The quickstart's own writes happened before the page opened: rewind fills the table.
        await ExpectAsync(browser, "the page opening", Table((1, "Ada Lovelace")), within: TimeSpan.FromSeconds(30));

        var steps = new (string Sql, (int Id, string Name)[] Rows)[]
        {
            ("INSERT INTO quickstart.users VALUES (3, 'Linus'), (4, 'Barbara'), (5, 'Edsger')", [(1, "Ada Lovelace"), (3, "Linus"), (4, "Barbara"), (5, "Edsger")]),
            ("UPDATE quickstart.users SET name = 'Barbara Liskov' WHERE id = 4", [(1, "Ada Lovelace"), (3, "Linus"), (4, "Barbara Liskov"), (5, "Edsger")]),
            ("DELETE FROM quickstart.users WHERE id = 3", [(1, "Ada Lovelace"), (4, "Barbara Liskov"), (5, "Edsger")]),
            ("BEGIN; UPDATE quickstart.users SET name = 'Ada King' WHERE id = 1; INSERT INTO quickstart.users VALUES (6, 'Grace Hopper'); COMMIT",
                [(1, "Ada King"), (4, "Barbara Liskov"), (5, "Edsger"), (6, "Grace Hopper")]),
            // 200 rows in one statement: a burst the connector bundles, and the page reads bundles.
            ("INSERT INTO quickstart.users SELECT g, 'user ' || g FROM generate_series(100, 299) g",
                [(1, "Ada King"), (4, "Barbara Liskov"), (5, "Edsger"), (6, "Grace Hopper"), .. Enumerable.Range(100, 200).Select(i => (i, "user " + i))]),
            ("DELETE FROM quickstart.users WHERE id >= 100", [(1, "Ada King"), (4, "Barbara Liskov"), (5, "Edsger"), (6, "Grace Hopper")]),
        };

        foreach (var (sql, rows) in steps)
        {
            await h.ExecuteAsync(sql); // returns once committed
            var shown = await ExpectAsync(browser, sql, Table(rows), within: TimeSpan.FromSeconds(1));
            output.WriteLine($"{shown.TotalMilliseconds,6:F0} ms  {sql}");
            if (sql.StartsWith("BEGIN", StringComparison.Ordinal))
            {
                await SaveScreenshotAsync(browser);
            }
        }

        quickstart.Terminate();
        Assert.Equal(0, await quickstart.WaitForExitAsync(seconds: 60));
    }

    [Fact]
    public async Task A_row_that_moves_channel_stays_on_the_page_whichever_of_its_update_and_departure_arrives_first()
    {
        HeadlessChromium.FindExecutable();
        var liveTable = RepositoryPaths.Combine("samples", "LiveTable");
        await AblyJs.EnsureInstalledAsync(liveTable, Path.Combine("node_modules", "ably", "build", "ably.min.js"));
        await using var h = await ConnectorHarness.StartAsync(
            postgres,
            CaptureMode.Triggers,
            a => a.ServedFolders["live-table"] = liveTable,
            """CREATE TABLE customer_orders ("Id" int PRIMARY KEY, "CustomerId" int NOT NULL, "Status" text NOT NULL);""");
        await h.StartConnectorAsync(h.Options(AblyPgTables.CustomerOrder));
        await using var browser = await HeadlessChromium.StartAsync(width: 900, height: 620);
        await browser.OpenAsync($"{h.Ably.BaseAddress}_local/live-table/?channels=customer:7,customer:8&table=public.customer_orders");
        await ExpectAsync(browser, "the page opening", Rows(), within: TimeSpan.FromSeconds(30));

        await h.ExecuteAsync("""INSERT INTO customer_orders VALUES (1, 7, 'new')""");
        await ExpectAsync(browser, "the insert", Rows(["1", "7"]), within: TimeSpan.FromSeconds(5));

        // customer:8 refuses twice (503, retried): the delete marked moved reaches the page before the update.
        h.Ably.Faults.FailNext(2, 503, 50003, channel: "customer:8");
        await h.ExecuteAsync("""UPDATE customer_orders SET "CustomerId" = 8 WHERE "Id" = 1""");
        await ExpectAsync(browser, "the move to customer 8", Rows(["1", "8"]), within: TimeSpan.FromSeconds(10));
        Assert.True(Accepted(h, "customer:7", 2) < Accepted(h, "customer:8", 1), "the departure was accepted before the update");

        // And back, the update first: the departure that follows leaves the row where it is.
        h.Ably.Faults.FailNext(2, 503, 50003, channel: "customer:8");
        await h.ExecuteAsync("""UPDATE customer_orders SET "CustomerId" = 7 WHERE "Id" = 1""");
        await ExpectAsync(browser, "the move back to customer 7", Rows(["1", "7"]), within: TimeSpan.FromSeconds(10));
        await h.Ably.WaitForMessagesAsync("customer:8", 2, TimeSpan.FromSeconds(10));
        Assert.True(Accepted(h, "customer:7", 3) < Accepted(h, "customer:8", 2), "the update was accepted before the departure");
        await Task.Delay(500);
        await ExpectAsync(browser, "the departure from customer 8", Rows(["1", "7"]), within: TimeSpan.FromSeconds(1));
    }

    /// <summary>When the endpoint accepted the <paramref name="nth"/> message (1-based) of <paramref name="channel"/>.</summary>
    private static DateTimeOffset Accepted(ConnectorHarness h, string channel, int nth) => h.Ably.GetMessages(channel)[nth - 1].ReceivedAt;

    private static string Rows(params string[][] rows) => JsonSerializer.Serialize(new { state = "connected", rows });

    private static string Table(params (int Id, string Name)[] rows) =>
        JsonSerializer.Serialize(new { state = "connected", rows = rows.Select(r => new[] { r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Name }) });

    /// <summary>Polls the page until it shows <paramref name="expected"/>; fails if that takes longer than <paramref name="within"/>.</summary>
    private static async Task<TimeSpan> ExpectAsync(HeadlessChromium browser, string after, string expected, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        var shown = "";
        while (clock.Elapsed < within)
        {
            shown = (await browser.EvaluateAsync(ReadTable)).GetString() ?? "";
            if (shown == expected)
            {
                return clock.Elapsed;
            }

            await Task.Delay(10);
        }

        Assert.Fail($"{clock.Elapsed.TotalMilliseconds:F0} ms after \"{after}\" committed the page still showed\n{Shorten(shown)}\ninstead of\n{Shorten(expected)}");
        return default;
    }

    private static string Shorten(string text) => text.Length <= 600 ? text : text[..600] + "…";

    /// <summary>The README's picture: docs/live-table.png when ABLYPG_UPDATE_SCREENSHOT=1, else a file in the temp folder.</summary>
    private async Task SaveScreenshotAsync(HeadlessChromium browser)
    {
        await Task.Delay(1500); // let the change highlight fade
        var png = await browser.ScreenshotAsync();
        Assert.True(png.Length > 1000 && png[1] == (byte)'P' && png[2] == (byte)'N' && png[3] == (byte)'G', "a PNG screenshot");
        var path = Environment.GetEnvironmentVariable("ABLYPG_UPDATE_SCREENSHOT") == "1"
            ? RepositoryPaths.Combine("docs", "live-table.png")
            : Path.Combine(Path.GetTempPath(), "ablypg-live-table.png");
        await File.WriteAllBytesAsync(path, png);
        output.WriteLine("screenshot: " + path);
    }
}
