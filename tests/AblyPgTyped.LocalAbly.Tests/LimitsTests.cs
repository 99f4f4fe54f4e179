using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Xunit;

namespace AblyPgTyped.LocalAbly.Tests;

public sealed class LimitsTests
{
    [Fact]
    public async Task Sum_of_message_sizes_above_the_limit_gets_413_40009()
    {
        await using var t = await TestServer.StartAsync(o => o.MaxMessageSize = 100);

        // TM6: name (4) + clientId (2) + data bytes (94) = 100: exactly at the limit is fine.
        var data94 = new string('x', 94);
        await t.PublishOkAsync("size", $$"""{"name":"name","clientId":"c1","data":"{{data94}}"}""");

        using var single = await t.PublishAsync("size", $$"""{"name":"name","clientId":"c1","data":"{{data94}}x"}""");
        await TestServer.ExpectErrorAsync(single, 413, 40009);

        // The limit applies to the sum over one publish.
        using var many = await t.PublishAsync("size", """[{"data":"0123456789012345678901234567890123456789012345678901"},{"data":"0123456789012345678901234567890123456789012345678901"}]""");
        await TestServer.ExpectErrorAsync(many, 413, 40009);

        // Multi-byte UTF-8 counts bytes, as ably-js does: 34 × 3 bytes = 102 > 100.
        using var unicode = await t.PublishAsync("size", $$"""{"data":"{{new string('€', 34)}}"}""");
        await TestServer.ExpectErrorAsync(unicode, 413, 40009);

        // extras count with their JSON length.
        using var extras = await t.PublishAsync("size", "{\"data\":\"" + new string('x', 80) + "\",\"extras\":{\"headers\":{\"k\":\"vvvvvv\"}}}");
        await TestServer.ExpectErrorAsync(extras, 413, 40009);

        Assert.Single(t.Server.GetMessages("size"));
    }

    [Fact]
    public async Task Batch_size_limit_applies_per_spec_and_fails_the_request()
    {
        await using var t = await TestServer.StartAsync(o => o.MaxMessageSize = 50);
        var d30 = new string('y', 30);
        // Each spec alone is under 50, so this passes even though the whole body is larger.
        await t.BatchOkAsync($$$"""[{"channels":"s1","messages":{"data":"{{{d30}}}"}},{"channels":"s2","messages":{"data":"{{{d30}}}"}}]""");
        using var response = await t.BatchAsync($$"""[{"channels":"s3","messages":[{"data":"{{d30}}"},{"data":"{{d30}}"}]}]""");
        await TestServer.ExpectErrorAsync(response, 413, 40009);
        Assert.Empty(t.Server.GetMessages("s3"));
    }

    [Fact]
    public async Task Batch_limits_on_channels_messages_and_body_size_get_400()
    {
        await using var t = await TestServer.StartAsync(o =>
        {
            o.MaxMessageSize = 10_000_000;
            o.Plan = LocalAblyPlan.Unlimited; // tests batch shape limits (1,000 messages to one channel), not rate limits
        });
        var channels = "[" + string.Join(",", Enumerable.Range(0, 101).Select(i => "\"ch" + i + "\"")) + "]";
        using var tooManyChannels = await t.BatchAsync($$$"""{"channels":{{{channels}}},"messages":{"data":"x"}}""");
        await TestServer.ExpectErrorAsync(tooManyChannels, 400, 40003);

        var messages = "[" + string.Join(",", Enumerable.Range(0, 1001).Select(_ => "{\"data\":\"x\"}")) + "]";
        using var tooManyMessages = await t.BatchAsync($$"""{"channels":"c","messages":{{messages}}}""");
        await TestServer.ExpectErrorAsync(tooManyMessages, 400, 40034);

        var big = new StringBuilder("{\"channels\":\"c\",\"messages\":{\"data\":\"");
        big.Append('z', 2 * 1024 * 1024);
        big.Append("\"}}");
        using var tooBig = await t.BatchAsync(big.ToString());
        await TestServer.ExpectErrorAsync(tooBig, 400, 40009);

        using var empty = await t.BatchAsync("[]");
        await TestServer.ExpectErrorAsync(empty, 400, 40001);
        using var noChannels = await t.BatchAsync("""{"messages":{"data":"x"}}""");
        await TestServer.ExpectErrorAsync(noChannels, 400, 40001);

        // Exactly 100 channels and 1000 messages are fine.
        var hundred = "[" + string.Join(",", Enumerable.Range(0, 100).Select(i => "\"ok" + i + "\"")) + "]";
        await t.BatchOkAsync($$$"""{"channels":{{{hundred}}},"messages":{"data":"x"}}""");
        var thousand = "[" + string.Join(",", Enumerable.Range(0, 1000).Select(_ => "{\"data\":\"x\"}")) + "]";
        await t.BatchOkAsync($$"""{"channels":"ok","messages":{{thousand}}}""");
        Assert.Equal(100 + 1000, t.Server.AcceptedMessageCount);
    }

    [Fact]
    public async Task Oversized_channel_publish_body_gets_413()
    {
        await using var t = await TestServer.StartAsync(o => o.MaxRequestBodySize = 1000);
        using var response = await t.PublishAsync("body", $$"""{"data":"{{new string('b', 2000)}}"}""");
        await TestServer.ExpectErrorAsync(response, 413, 40009);
    }
}
