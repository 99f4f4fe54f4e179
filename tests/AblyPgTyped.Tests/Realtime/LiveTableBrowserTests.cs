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
