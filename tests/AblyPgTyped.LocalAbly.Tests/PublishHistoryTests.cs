using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Xunit;

namespace AblyPgTyped.LocalAbly.Tests;

public sealed class PublishHistoryTests
{
    [Fact]
    public async Task Time_returns_an_array_with_current_milliseconds()
    {
        await using var t = await TestServer.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = t.Server.BaseAddress };
        using var response = await anonymous.GetAsync("/time");
        var body = await TestServer.ExpectAsync(response, HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Array, body.ValueKind);
        var ms = body[0].GetInt64();
        Assert.InRange(ms, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task Publish_single_and_array_then_history_returns_newest_first_with_server_fields()
    {
        await using var t = await TestServer.StartAsync();
        var single = await t.PublishOkAsync("orders", """{"name":"created","data":"one","clientId":"c1","extras":{"headers":{"k":"v"}},"action":0,"size":3}""");
        Assert.Equal("orders", single.GetProperty("channel").GetString());
        Assert.Equal(1, single.GetProperty("serials").GetArrayLength());
        Assert.False(string.IsNullOrEmpty(single.GetProperty("messageId").GetString()));

        var many = await t.PublishOkAsync("orders", """[{"name":"a","data":"two"},{"name":"b","data":"three"}]""");
        Assert.Equal(2, many.GetProperty("serials").GetArrayLength());

        var history = await t.GetJsonAsync(TestServer.ChannelPath("orders"));
        Assert.Equal(new[] { "b", "a", "created" }, history.EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        var first = history[2];
        Assert.Equal("one", first.GetProperty("data").GetString());
        Assert.Equal("c1", first.GetProperty("clientId").GetString());
        Assert.Equal("v", first.GetProperty("extras").GetProperty("headers").GetProperty("k").GetString());
        Assert.True(first.GetProperty("timestamp").GetInt64() > 0);
        Assert.False(string.IsNullOrEmpty(first.GetProperty("serial").GetString()));
        Assert.False(first.TryGetProperty("size", out _), "unknown input fields are not stored");

        // Server-assigned ids are <base>:<index>, one base per publish.
        var idA = history[1].GetProperty("id").GetString()!;
        var idB = history[0].GetProperty("id").GetString()!;
        Assert.EndsWith(":0", idA);
        Assert.Equal(idA[..^2] + ":1", idB);
    }

    [Fact]
    public async Task Object_data_without_encoding_is_stringified_with_json_encoding()
    {
        await using var t = await TestServer.StartAsync();
        await t.PublishOkAsync("objects", """{"name":"o","data":{"hello": "world", "n": [1, 2]}}""");
        await t.PublishOkAsync("objects", """{"name":"pre","data":"{\"a\":1}","encoding":"json"}""");
        await t.PublishOkAsync("objects", """{"name":"b64","data":"AQID","encoding":"base64"}""");

        var history = await t.GetJsonAsync(TestServer.ChannelPath("objects") + "?direction=forwards");
        Assert.Equal("""{"hello":"world","n":[1,2]}""", history[0].GetProperty("data").GetString());
        Assert.Equal("json", history[0].GetProperty("encoding").GetString());
        Assert.Equal("""{"a":1}""", history[1].GetProperty("data").GetString());
        Assert.Equal("json", history[1].GetProperty("encoding").GetString());
        Assert.Equal("AQID", history[2].GetProperty("data").GetString());
        Assert.Equal("base64", history[2].GetProperty("encoding").GetString());

        var stored = t.Server.GetMessages("objects")[0];
        Assert.Equal("world", stored.DecodeDataAsJson()!.Value.GetProperty("hello").GetString());
    }

    [Fact]
    public async Task Number_data_is_rejected_with_40013()
    {
        await using var t = await TestServer.StartAsync();
        using var response = await t.PublishAsync("numbers", """{"name":"n","data":5}""");
        await TestServer.ExpectErrorAsync(response, 400, 40013);
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("ns:chan/with/slashes")]
    [InlineData("with space")]
    [InlineData("unicodé:日本語/🙂")]
    [InlineData("percent%2Fliteral")]
    [InlineData("q?x=1&y=#frag")]
    public async Task Channel_names_round_trip_through_the_raw_path(string channel)
    {
        await using var t = await TestServer.StartAsync();
        var result = await t.PublishOkAsync(channel, """{"name":"n","data":"d"}""");
        Assert.Equal(channel, result.GetProperty("channel").GetString());
        Assert.Equal(channel, Assert.Single(t.Server.GetChannelNames()));

        var history = await t.GetJsonAsync(TestServer.ChannelPath(channel));
        Assert.Equal("d", Assert.Single(history.EnumerateArray()).GetProperty("data").GetString());
    }

    [Fact]
    public async Task Unescaped_slash_in_the_path_is_part_of_the_channel_name()
    {
        await using var t = await TestServer.StartAsync();
        using var response = await t.Client.PostAsync("/channels/a/b/messages", TestServer.Json("""{"data":"x"}"""));
        var body = await TestServer.ExpectAsync(response, HttpStatusCode.Created);
        Assert.Equal("a/b", body.GetProperty("channel").GetString());
    }

    [Theory]
    [InlineData(":starts-with-colon")]
    [InlineData("[meta]qualifier")]
    [InlineData("star*ns:rest")]
    [InlineData("new\nline")]
    public async Task Invalid_channel_names_are_rejected_with_40010(string channel)
    {
        await using var t = await TestServer.StartAsync();
        using var response = await t.PublishAsync(channel, """{"data":"x"}""");
        await TestServer.ExpectErrorAsync(response, 400, 40010);
    }

    [Fact]
    public async Task Star_after_the_namespace_is_allowed()
    {
        await using var t = await TestServer.StartAsync();
        await t.PublishOkAsync("ns:star*ok", """{"data":"x"}""");
    }

    [Fact]
    public async Task History_pages_with_relative_link_headers_in_both_directions()
    {
        await using var t = await TestServer.StartAsync();
        var channel = "paging/ch";
        var batch = "[" + string.Join(",", Enumerable.Range(0, 8).Select(i => $$"""{"name":"m{{i}}","data":"{{i}}"}""")) + "]";
        await t.PublishOkAsync(channel, batch);

        foreach (var direction in new[] { "backwards", "forwards" })
        {
            var names = new List<string>();
            var sizes = new List<int>();
            var next = TestServer.ChannelPath(channel) + "?limit=3&direction=" + direction;
            while (next is not null)
            {
                using var response = await t.Client.GetAsync(next);
                var page = await TestServer.ExpectAsync(response, HttpStatusCode.OK);
                sizes.Add(page.GetArrayLength());
                names.AddRange(page.EnumerateArray().Select(m => m.GetProperty("name").GetString()!));
                var link = string.Join(", ", response.Headers.GetValues("Link"));
                Assert.Contains("rel=\"first\"", link, StringComparison.Ordinal);
                Assert.Contains("rel=\"current\"", link, StringComparison.Ordinal);
                next = NextLink(link, TestServer.ChannelPath(channel));
            }

            var expected = Enumerable.Range(0, 8).Select(i => "m" + i);
            Assert.Equal(direction == "forwards" ? expected : expected.Reverse(), names);
            Assert.Equal(new[] { 3, 3, 2 }, sizes);
        }
    }

    [Fact]
    public async Task History_filters_by_time_and_validates_parameters()
    {
        await using var t = await TestServer.StartAsync();
        await t.PublishOkAsync("timed", """{"name":"early","data":"x"}""");
        await Task.Delay(30);
        var between = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Task.Delay(30);
        await t.PublishOkAsync("timed", """{"name":"late","data":"y"}""");

        var late = await t.GetJsonAsync(TestServer.ChannelPath("timed") + "?start=" + between);
        Assert.Equal("late", Assert.Single(late.EnumerateArray()).GetProperty("name").GetString());
        var early = await t.GetJsonAsync(TestServer.ChannelPath("timed") + "?end=" + between);
        Assert.Equal("early", Assert.Single(early.EnumerateArray()).GetProperty("name").GetString());

        var none = await t.GetJsonAsync(TestServer.ChannelPath("never-published"));
        Assert.Equal(0, none.GetArrayLength());

        using var badLimit = await t.Client.GetAsync(TestServer.ChannelPath("timed") + "?limit=1001");
        await TestServer.ExpectErrorAsync(badLimit, 400, 40003);
        using var badDirection = await t.Client.GetAsync(TestServer.ChannelPath("timed") + "?direction=sideways");
        await TestServer.ExpectErrorAsync(badDirection, 400, 40003);
    }

    [Fact]
    public async Task History_is_capped_per_channel_but_counters_are_not()
    {
        await using var t = await TestServer.StartAsync(o => o.MaxHistoryPerChannel = 5);
        for (var i = 0; i < 3; i++)
        {
            var batch = "[" + string.Join(",", Enumerable.Range(0, 4).Select(j => $$"""{"name":"m{{(i * 4) + j}}","data":"x"}""")) + "]";
            await t.PublishOkAsync("capped", batch);
        }

        var history = await t.GetJsonAsync(TestServer.ChannelPath("capped") + "?direction=forwards");
        Assert.Equal(new[] { "m7", "m8", "m9", "m10", "m11" }, history.EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        Assert.Equal(12, t.Server.GetAcceptedMessageCount("capped"));
        Assert.Equal(5, t.Server.GetMessages("capped").Count);
    }

    [Fact]
    public async Task Batch_publish_returns_one_result_per_spec_and_stores_per_channel()
    {
        await using var t = await TestServer.StartAsync();
        var results = await t.BatchOkAsync("""
            [
              {"channels":["b1","b2"],"messages":[{"name":"x","data":"1"},{"name":"y","data":{"k":1}}]},
              {"channels":"b3","messages":{"name":"z","data":"3"}},
              {"channels":["b4",":bad"],"messages":[{"data":"4"}]}
            ]
            """);
        Assert.Equal(3, results.GetArrayLength());
        Assert.Equal(2, results[0].GetProperty("successCount").GetInt32());
        Assert.Equal(0, results[0].GetProperty("failureCount").GetInt32());
        var r0 = results[0].GetProperty("results")[0];
        Assert.Equal("b1", r0.GetProperty("channel").GetString());
        Assert.Equal(2, r0.GetProperty("serials").GetArrayLength());
        Assert.False(string.IsNullOrEmpty(r0.GetProperty("messageId").GetString()));

        Assert.Equal(1, results[2].GetProperty("successCount").GetInt32());
        Assert.Equal(1, results[2].GetProperty("failureCount").GetInt32());
        var failed = results[2].GetProperty("results")[1];
        Assert.Equal(":bad", failed.GetProperty("channel").GetString());
        Assert.Equal(40010, failed.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(400, failed.GetProperty("error").GetProperty("statusCode").GetInt32());

        Assert.Equal(2, t.Server.GetMessages("b2").Count);
        Assert.Equal("json", t.Server.GetMessages("b2")[1].Encoding);
        Assert.Equal(PublishKind.Batch, t.Server.GetMessages("b3")[0].Kind);
        Assert.Equal(6, t.Server.AcceptedMessageCount);
    }

    private static string? NextLink(string linkHeader, string path)
    {
        var match = Regex.Match(linkHeader, "<\\./messages\\?([^>]*)>; rel=\"next\"");
        Assert.DoesNotContain(",", match.Success ? match.Groups[1].Value : string.Empty, StringComparison.Ordinal);
        return match.Success ? path + "?" + match.Groups[1].Value : null;
    }
}
