using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Npgsql;
using Xunit;

namespace AblyPgTyped.Tests.Connectors;

[Collection(PostgresCollection.Name)]
public class OrderingTests(PostgresFixture postgres)
{
    /// <summary>The capture mode the tests run in; a subclass runs them all again in another.</summary>
    protected virtual CaptureMode Capture => CaptureMode.Triggers;

    [Fact]
    public async Task Concurrent_writers_changes_to_each_row_arrive_on_its_channel_in_commit_order()
    {
        const int rows = 4, writers = 8, transactionsPerWriter = 100;
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Counters);
        await h.StartConnectorAsync(h.Options(AblyPgTables.Counter));
        await h.ExecuteAsync($"""INSERT INTO counters SELECT g, 0, 0 FROM generate_series(1, {rows}) g""");

        // Each transaction increments one row; the row lock makes the new value the commit order of that row.
        await Task.WhenAll(Enumerable.Range(1, writers).Select(writer => Task.Run(async () =>
        {
            await using var connection = await h.Database.OpenConnectionAsync();
            for (var i = 0; i < transactionsPerWriter; i++)
            {
                await using var command = new NpgsqlCommand("""UPDATE counters SET "Value" = "Value" + 1, "Writer" = $1 WHERE "Id" = $2""", connection);
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = writer });
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = (i + writer) % rows + 1 });
                await command.ExecuteNonQueryAsync();
            }
        })));
        var messages = await h.WaitForMessagesAsync(rows + (writers * transactionsPerWriter), seconds: 60);

        var totals = new Dictionary<int, long>();
        foreach (var channel in messages.Where(m => m.Channel.StartsWith("counter:", System.StringComparison.Ordinal)).GroupBy(m => m.Channel))
        {
            var changes = channel.Select(m => AblyPgTables.Counter.ReadChanges(m.DataString!).Single()).ToList();
            Assert.Equal(Enumerable.Range(1, changes.Count).Select(v => (long)v), changes.Select(c => c.New!.Value));
            Assert.All(changes, c => Assert.Equal(c.New!.Value - 1, c.Old!.Value));
            totals[changes[0].New!.Id] = changes.Count;
        }

        Assert.Equal(writers * transactionsPerWriter, totals.Values.Sum());
        Assert.Equal(rows, totals.Count);
    }
}
