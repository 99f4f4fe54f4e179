using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace AblyPgTyped.LocalAbly.Tests;

public sealed class SseTests
{
    [Fact]
    public async Task Sse_stream_delivers_published_messages_in_ably_frame_format()
    {
        await using var t = await TestServer.StartAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var response = await t.Client.GetAsync("/sse?v=1.2&channels=" + Uri.EscapeDataString("live/a,other"), HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));

        await t.PublishOkAsync("not-watched", """{"data":"skip"}""");
        await t.PublishOkAsync("live/a", """{"name":"greeting","data":{"hello":"world"}}""");

        var frame = await ReadFrameAsync(reader, cts.Token);
        Assert.Equal("message", frame["event"]);
        Assert.False(string.IsNullOrEmpty(frame["id"]));
        var data = JsonDocument.Parse(frame["data"]).RootElement;
        Assert.Equal("live/a", data.GetProperty("channel").GetString());
        Assert.Equal("greeting", data.GetProperty("name").GetString());
        Assert.Equal("json", data.GetProperty("encoding").GetString());
        Assert.Equal("""{"hello":"world"}""", data.GetProperty("data").GetString());
        Assert.True(data.GetProperty("timestamp").GetInt64() > 0);
        Assert.False(string.IsNullOrEmpty(data.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Sse_requires_auth_and_channels()
    {
        await using var t = await TestServer.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = t.Server.BaseAddress };
        using var unauthorized = await anonymous.GetAsync("/sse?channels=a");
        await TestServer.ExpectErrorAsync(unauthorized, 401, 40101);
        using var noChannels = await t.Client.GetAsync("/sse");
        await TestServer.ExpectErrorAsync(noChannels, 400, 40000);
    }

    [Fact]
    public async Task Watch_endpoint_streams_every_channel_with_rewind_and_keepalives()
    {
        await using var t = await TestServer.StartAsync(o => o.SseKeepAliveInterval = TimeSpan.FromMilliseconds(200));
        await t.PublishOkAsync("old", """[{"data":"o1"},{"data":"o2"}]""");

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var anonymous = new HttpClient { BaseAddress = t.Server.BaseAddress };
        using var response = await anonymous.GetAsync("/_local/watch?rewind=1", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));

        var rewound = await ReadFrameAsync(reader, cts.Token);
        Assert.Equal("o2", JsonDocument.Parse(rewound["data"]).RootElement.GetProperty("data").GetString());

        await t.PublishOkAsync("any-channel", """{"data":"new"}""");
        var live = await ReadFrameAsync(reader, cts.Token);
        Assert.Equal("any-channel", JsonDocument.Parse(live["data"]).RootElement.GetProperty("channel").GetString());

        var sawKeepAlive = false;
        while (!sawKeepAlive)
        {
            var line = await reader.ReadLineAsync(cts.Token);
            Assert.NotNull(line);
            sawKeepAlive = line == ":keepalive";
        }

        Assert.Equal(1, t.Server.GetStats().OpenSseConnections);
    }

    [Fact]
    public async Task Event_stream_without_sse_accept_sends_json_lines()
    {
        await using var t = await TestServer.StartAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var response = await t.Client.GetAsync("/event-stream?channels=nd", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        await t.PublishOkAsync("nd", """{"data":"line"}""");
        var line = await reader.ReadLineAsync(cts.Token);
        var envelope = JsonDocument.Parse(line!).RootElement;
        Assert.Equal("message", envelope.GetProperty("event").GetString());
        Assert.Equal("line", envelope.GetProperty("data").GetProperty("data").GetString());
    }

    [Fact]
    public async Task Live_page_is_served()
    {
        await using var t = await TestServer.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = t.Server.BaseAddress };
        var html = await anonymous.GetStringAsync("/_local/");
        Assert.Contains("EventSource('/_local/watch?recent=100'", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_with_recent_opens_with_the_last_messages_across_channels_then_streams_new_ones()
    {
        await using var t = await TestServer.StartAsync();
        await t.PublishOkAsync("a", """{"data":"1"}""");
        await t.PublishOkAsync("b", """{"data":"2"}""");
        await t.PublishOkAsync("a", """{"data":"3"}""");

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var anonymous = new HttpClient { BaseAddress = t.Server.BaseAddress };
        using var response = await anonymous.GetAsync("/_local/watch?recent=2", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        var seen = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            seen.Add(JsonDocument.Parse((await ReadFrameAsync(reader, cts.Token))["data"]).RootElement.GetProperty("data").GetString()!);
        }

        await t.PublishOkAsync("c", """{"data":"4"}""");
        seen.Add(JsonDocument.Parse((await ReadFrameAsync(reader, cts.Token))["data"]).RootElement.GetProperty("data").GetString()!);
        Assert.Equal(["2", "3", "4"], seen);
    }

    /// <summary>Reads one SSE event (skipping comments) into field -> value.</summary>
    private static async Task<Dictionary<string, string>> ReadFrameAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            var line = await reader.ReadLineAsync(cancellationToken);
            Assert.NotNull(line);
            if (line.Length == 0)
            {
                if (fields.Count > 0)
                {
                    return fields;
                }

                continue;
            }

            if (line[0] == ':')
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            fields[line[..colon]] = line[(colon + 1)..].TrimStart(' ');
        }
    }
}
