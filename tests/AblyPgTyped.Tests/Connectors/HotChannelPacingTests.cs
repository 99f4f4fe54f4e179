using System;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Config;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Npgsql;
using Xunit;
using static AblyPgTyped.Tests.Connectors.AblyLimitsTests;

namespace AblyPgTyped.Tests.Connectors;

/// <summary>
/// One channel pushed far past the 50 messages/s of Ably's Standard plan for long: the original's configuration
/// (typed messages, bundled by default) keeps up with few 429s, and compatible messages (never bundled) are paced
/// rather than refused. The pacing is the publisher's, the same in both capture modes; these run with triggers.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class HotChannelPacingTests(PostgresFixture postgres)
{
    private const string OriginalChannel = "ably-users-added";

    [Fact]
    public async Task The_originals_config_at_200_changes_per_second_on_one_channel_for_60_s_is_delivered_whole_with_few_429s()
    {
        // The original's config file, unchanged in shape: users (id, name), inserts on one channel, typed messages,
        // adaptive bundling by default (the original's files cannot set it).
        await using var h = await ConnectorHarness.StartAsync(postgres, ConfigFileTests.UsersTable);
        using var folder = new ConfigFolder();
        await using var connector = new Connector(folder.WriteJsonExample("config/default.json", ConfigTarget.Of(h)), h.Logs);
        await connector.StartAsync();

        // 10 single-row inserts every 50 ms for 60 s (sent together, so a busy machine keeps the pace): 200 changes/s
        // on one channel, four times what it may carry unbundled.
        const int ticks = 1200, perTick = 10, total = ticks * perTick;
        var written = await PaceAsync(TimeSpan.FromMilliseconds(50), ticks, async k =>
        {
            await using var batch = h.Database.CreateBatch();
            for (var i = 1; i <= perTick; i++)
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO users VALUES ($1, 'u')") { Parameters = { new NpgsqlParameter<int> { TypedValue = (k * perTick) + i } } });
            }

            await batch.ExecuteNonQueryAsync();
        });
        var lastWrite = Stopwatch.GetTimestamp();
        AssertWriterKeptUp(written, TimeSpan.FromSeconds(60), slack: 1.25); // at least 160 changes/s: over three times the channel's rate

        await WaitUntilAsync(async () => await StoreCountAsync(h) == 0, TimeSpan.FromSeconds(5), async () => $"{await StoreCountAsync(h)} change row(s) still in ablypg.changes 5 s after the last write; {Describe(h)}");
        var drainedAfter = Stopwatch.GetElapsedTime(lastWrite);
        await Task.Delay(300); // anything sent twice would land now

        var messages = h.Ably.GetMessages().Where(m => m.Channel == OriginalChannel).ToList();
        Assert.Equal(messages.Count, messages.Select(m => m.Id).Distinct().Count());
        var changes = messages.SelectMany(UntypedChanges).ToList();
        Assert.Equal(Enumerable.Range(1, total), changes.Select(c => c.Id)); // each once, in commit order
        AssertStrictlyIncreasing(changes.Select(c => c.Position), OriginalChannel);

        var stats = h.Ably.GetStats();
        var refused = stats.ChannelRateLimited + stats.RateLimitedRequests;
        Assert.True(
            refused * 100 < stats.PublishRequests,
            $"{refused} refusal(s) for rate in {stats.PublishRequests} publish request(s) (limit: under 1%); drained {drainedAfter.TotalMilliseconds:F0} ms after the last write; {Describe(h)}");
    }

    [Fact]
    public async Task Compatible_messages_are_paced_not_rejected()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var options = h.Options(AblyPgTables.User);
        options.CompatibleMessages = true;
        options.MaxChangesPerMessage = 500; // the default, which compatible messages must ignore
        await h.StartConnectorAsync(options);

        // 40 changes/s for 10 s: within the channel's 50 msg/s, so nothing waits and nothing is refused.
        var steady = await PaceAsync(TimeSpan.FromMilliseconds(50), 200, async k =>
        {
            await h.ExecuteAsync("""INSERT INTO users VALUES ($1, 'steady', NULL)""", (k * 2) + 1);
            await h.ExecuteAsync("""INSERT INTO users VALUES ($1, 'steady', NULL)""", (k * 2) + 2);
        });
        AssertWriterKeptUp(steady, TimeSpan.FromSeconds(10));
        await WaitUntilAsync(() => Task.FromResult(h.Ably.GetAcceptedMessageCount(UsersChannel) >= 400), TimeSpan.FromSeconds(3), () => Task.FromResult($"the steady 40/s phase was not delivered within 3 s; {Describe(h)}"));
        AssertNoRateRefusals(h, "after the steady phase");

        // A burst of 200 changes/s for 5 s: four times the channel's rate, and compatible messages cannot be bundled.
        var burst = await PaceAsync(TimeSpan.FromMilliseconds(50), 100, async k =>
        {
            for (var i = 1; i <= 10; i++)
            {
                await h.ExecuteAsync("""INSERT INTO users VALUES ($1, 'burst', NULL)""", 400 + (k * 10) + i);
            }
        });
        AssertWriterKeptUp(burst, TimeSpan.FromSeconds(5));
        await WaitUntilAsync(() => Task.FromResult(h.Ably.GetAcceptedMessageCount(UsersChannel) >= 1400), TimeSpan.FromSeconds(30), () => Task.FromResult($"the burst was not delivered within 30 s; {Describe(h)}"));
        await WaitUntilAsync(async () => await StoreCountAsync(h) == 0, TimeSpan.FromSeconds(5), async () => $"{await StoreCountAsync(h)} change row(s) left in the store");
        await Task.Delay(300);

        var messages = h.Ably.GetMessages().Where(m => m.Channel == UsersChannel).ToList();
        Assert.All(messages, m => Assert.Equal("New message from the Ably/ Postgres connector", m.Name));
        Assert.Equal(messages.Count, messages.Select(m => m.Id).Distinct().Count());
        var ids = messages.Select(m =>
        {
            using var data = JsonDocument.Parse(m.DataString!);
            return data.RootElement.GetProperty("row").GetProperty("Id").GetInt32();
        });
        Assert.Equal(Enumerable.Range(1, 1400), ids); // one change per message, none lost, none twice, in order
        AssertNoRateRefusals(h, "after the burst");
        Assert.True(
            h.Logs.Entries.Any(e => e.EventId == 1208 && e.Text.Contains($"Channel {UsersChannel} ", StringComparison.Ordinal)),
            "no channel bottleneck warning (1208) naming the channel; " + Describe(h));
    }
}
