using System;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Xunit;

namespace AblyPgTyped.LocalAbly.Tests;

public sealed class IdempotencyTests
{
    [Fact]
    public async Task Single_message_with_a_repeated_id_is_dropped_silently()
    {
        await using var t = await TestServer.StartAsync();
        var first = await t.PublishOkAsync("idem", """{"id":"abc","data":"1"}""");
        var again = await t.PublishOkAsync("idem", """{"id":"abc","data":"1"}""");
        Assert.Equal(JsonValueKind.String, first.GetProperty("serials")[0].ValueKind);
        Assert.Equal(JsonValueKind.Null, again.GetProperty("serials")[0].ValueKind);
        Assert.Equal("abc", Assert.Single(t.Server.GetMessages("idem")).Id);

        // Same id on another channel is a different key.
        await t.PublishOkAsync("idem-other", """{"id":"abc","data":"1"}""");
        Assert.Single(t.Server.GetMessages("idem-other"));

        var stats = t.Server.GetStats();
        Assert.Equal(1, stats.DuplicateMessages);
        Assert.Equal(1, stats.Channels["idem"].DuplicateMessages);
        Assert.Equal(2, stats.AcceptedMessages);
    }

    [Fact]
    public async Task Multi_message_publish_is_one_idempotency_group_keyed_by_its_base()
    {
        await using var t = await TestServer.StartAsync();
        await t.PublishOkAsync("group", """[{"id":"base:0","data":"a"},{"id":"base:1","data":"b"}]""");
        var retry = await t.PublishOkAsync("group", """[{"id":"base:0","data":"a"},{"id":"base:1","data":"b"}]""");
        Assert.All(retry.GetProperty("serials").EnumerateArray(), s => Assert.Equal(JsonValueKind.Null, s.ValueKind));
        Assert.Equal(new[] { "base:0", "base:1" }, t.Server.GetMessages("group").Select(m => m.Id));

        // The group key is the base, so a retry with a different message count is still the same publish.
        await t.PublishOkAsync("group", """[{"id":"base:0","data":"a"},{"id":"base:1","data":"b"},{"id":"base:2","data":"c"}]""");
        Assert.Equal(2, t.Server.GetMessages("group").Count);

        await t.PublishOkAsync("group", """[{"id":"next:0","data":"c"},{"id":"next:1","data":"d"}]""");
        Assert.Equal(4, t.Server.GetMessages("group").Count);
    }

    [Theory]
    [InlineData("""[{"id":"a:0","data":"x"},{"data":"y"}]""")]
    [InlineData("""[{"id":"a:0","data":"x"},{"id":"b:1","data":"y"}]""")]
    [InlineData("""[{"id":"a:0","data":"x"},{"id":"a:5","data":"y"}]""")]
    [InlineData("""[{"id":"plain","data":"x"},{"id":"plain2","data":"y"}]""")]
    [InlineData("""[{"id":"","data":"x"}]""")]
    public async Task Bad_ids_in_a_multi_message_publish_get_40031(string body)
    {
        await using var t = await TestServer.StartAsync();
        using var response = await t.PublishAsync("ids", body);
        await TestServer.ExpectErrorAsync(response, 400, 40031);
        Assert.Empty(t.Server.GetMessages("ids"));
    }

    [Fact]
    public async Task Batch_publish_deduplicates_every_id_independently_per_channel()
    {
        await using var t = await TestServer.StartAsync();
        await t.BatchOkAsync("""[{"channels":["c1","c2"],"messages":[{"id":"row-1","data":"1"},{"id":"row-2","data":"2"}]}]""");

        // A retry that overlaps partially: row-2 is a duplicate on both channels, row-3 is new, ids need no common base.
        var retry = await t.BatchOkAsync("""
            [
              {"channels":["c1","c2"],"messages":[{"id":"row-2","data":"2"},{"id":"row-3","data":"3"}]},
              {"channels":"c3","messages":[{"id":"row-1","data":"1"},{"id":"row-1","data":"again"}]}
            ]
            """);
        var serials = retry[0].GetProperty("results")[0].GetProperty("serials");
        Assert.Equal(JsonValueKind.Null, serials[0].ValueKind);
        Assert.Equal(JsonValueKind.String, serials[1].ValueKind);

        Assert.Equal(new[] { "row-1", "row-2", "row-3" }, t.Server.GetMessages("c1").Select(m => m.Id));
        Assert.Equal(new[] { "row-1", "row-2", "row-3" }, t.Server.GetMessages("c2").Select(m => m.Id));
        Assert.Equal(new[] { "row-1" }, t.Server.GetMessages("c3").Select(m => m.Id));
        Assert.Equal(3, t.Server.GetStats().DuplicateMessages);

        // A batch message with an id that was accepted by a single-message channel publish is a duplicate too.
        await t.PublishOkAsync("c4", """{"id":"row-9","data":"9"}""");
        await t.BatchOkAsync("""{"channels":"c4","messages":{"id":"row-9","data":"9"}}""");
        Assert.Single(t.Server.GetMessages("c4"));
    }

    [Fact]
    public async Task Ids_are_accepted_again_after_the_dedup_window()
    {
        await using var t = await TestServer.StartAsync(o => o.DedupWindow = TimeSpan.FromMilliseconds(200));
        await t.PublishOkAsync("window", """{"id":"w","data":"1"}""");
        await t.PublishOkAsync("window", """{"id":"w","data":"1"}""");
        Assert.Single(t.Server.GetMessages("window"));
        await Task.Delay(300);
        await t.PublishOkAsync("window", """{"id":"w","data":"1"}""");
        Assert.Equal(2, t.Server.GetMessages("window").Count);
    }

    [Fact]
    public async Task Dedup_keys_are_bounded_per_channel()
    {
        await using var t = await TestServer.StartAsync(o => o.MaxDedupKeysPerChannel = 2);
        await t.BatchOkAsync("""{"channels":"bounded","messages":[{"id":"k1"},{"id":"k2"},{"id":"k3"}]}""");
        await t.BatchOkAsync("""{"channels":"bounded","messages":[{"id":"k1"},{"id":"k3"}]}""");
        // k1 was forgotten (capacity 2), k3 was still remembered.
        Assert.Equal(new[] { "k1", "k2", "k3", "k1" }, t.Server.GetMessages("bounded").Select(m => m.Id));
    }
}
