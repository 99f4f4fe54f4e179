using System;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;
using static AblyPgTyped.Tests.Connectors.AblyLimitsTests;

namespace AblyPgTyped.Tests.Connectors;

/// <summary>A backlog of rows too large for any message is dead-lettered in bounded memory, and the rows behind it flow.</summary>
[Collection(PostgresCollection.Name)]
public sealed class LargeRowBacklogTests(PostgresFixture postgres)
{
    private const int LargeRows = 10_000;

    /// <summary>About 112 KB of row: nearly twice Ably's 64 KiB message limit (compressible, so the store stays small on disk).</summary>
    private const int BioLength = 112_000;

    /// <summary>
    /// Far below what holding the backlog would take: 10,000 × 112 KB is 1.1 GB of captured JSON, held at least twice
    /// (bytes and the dead letter's text, UTF-16) and rendered once more as a message.
    /// </summary>
    private const long PeakMemoryBound = 1L << 30;

    [Fact]
    public async Task Ten_thousand_rows_of_112_KB_are_dead_lettered_in_bounded_memory_and_the_rows_behind_them_flow()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var installer = await h.StartConnectorAsync(h.Options(AblyPgTables.User)); // installs capture, then leaves the backlog to the process below
        await installer.StopAsync();

        // 10,000 statements, so 10,000 store rows of one change each; then 10 normal rows behind them.
        await using (var backlog = h.Database.CreateCommand($"""
            DO $$ BEGIN
              FOR i IN 1..{LargeRows} LOOP
                INSERT INTO users VALUES (i, 'large', repeat('x', {BioLength}));
              END LOOP;
            END $$
            """))
        {
            backlog.CommandTimeout = 300; // a gigabyte of rows, on a busy machine
            await backlog.ExecuteNonQueryAsync();
        }

        await h.ExecuteAsync($"""INSERT INTO users SELECT g, 'normal', NULL FROM generate_series({LargeRows + 1}, {LargeRows + 10}) g""");
        Assert.Equal(LargeRows + 1L, await StoreCountAsync(h));

        using var connector = ConnectorProcess.Start(h, "tables=users");
        await connector.WaitUntilActiveAsync();
        await WaitUntilAsync(async () => await StoreCountAsync(h) == 0, TimeSpan.FromSeconds(150), async () => $"{await StoreCountAsync(h)} change row(s) left in the store");
        var peak = connector.PeakResidentBytes();
        await Task.Delay(300);

        // The rows behind the backlog arrived (bundled or not), each once, in order; none of the large ones did.
        var delivered = h.Ably.GetMessages("users").SelectMany(m => AblyPgTables.User.ReadChanges(m.DataString!)).ToList();
        Assert.Equal(Enumerable.Range(LargeRows + 1, 10), delivered.Select(c => c.New!.Id));

        // Every large row is a dead letter of its own, with the reason and the captured row (sampled: reading all
        // of them back would cost another gigabyte of JSON).
        Assert.Equal(LargeRows, await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters"));
        Assert.Equal(LargeRows, await h.ScalarAsync<long>("SELECT count(DISTINCT change_id) FROM ablypg.dead_letters WHERE reason LIKE 'the message is % bytes; the maximum message size is 65536'"));
        Assert.Equal(
            $"1 {BioLength}, {LargeRows / 2} {BioLength}, {LargeRows} {BioLength}",
            await h.ScalarAsync<string>($"""
                SELECT string_agg((data->>'Id') || ' ' || length(data->>'Bio'), ', ' ORDER BY change_id) FROM ablypg.dead_letters
                WHERE change_id IN (
                  (SELECT min(change_id) FROM ablypg.dead_letters), (SELECT max(change_id) FROM ablypg.dead_letters),
                  (SELECT min(change_id) + {LargeRows / 2 - 1} FROM ablypg.dead_letters))
                """));

        Assert.True(peak < PeakMemoryBound, $"the connector's peak resident memory was {peak / (1 << 20)} MiB (bound {PeakMemoryBound / (1 << 20)} MiB)");
    }
}
