using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace AblyPgTyped.LocalAbly.Tests;

public sealed class ObservationTests
{
    [Fact]
    public async Task Messages_carry_receipt_times_on_both_clocks()
    {
        await using var t = await TestServer.StartAsync();
        var before = DateTimeOffset.UtcNow;
        var beforeTicks = Stopwatch.GetTimestamp();
        await t.PublishOkAsync("clock", """{"name":"n","data":"d"}""");
        var afterTicks = Stopwatch.GetTimestamp();
        var after = DateTimeOffset.UtcNow;

        var message = Assert.Single(t.Server.GetMessages());
        Assert.InRange(message.ReceivedAt, before, after);
        Assert.Equal(message.ReceivedAt.ToUnixTimeMilliseconds(), message.ReceivedAtUnixMs);
        Assert.Equal(message.ReceivedAtUnixMs, message.Timestamp);
        Assert.InRange(message.ReceivedAtStopwatchTimestamp, beforeTicks, afterTicks);
        Assert.Equal("clock", message.Channel);
        Assert.Equal("n", message.Name);
        Assert.Equal("\"d\"", message.DataJson);
        Assert.Equal("d", message.DataString);
        Assert.Equal(1, message.ChannelSequence);
        Assert.Equal(PublishKind.Channel, message.Kind);
    }

    [Fact]
    public async Task WaitForMessages_completes_when_enough_arrive_and_times_out_otherwise()
    {
        await using var t = await TestServer.StartAsync();
        var waitAll = t.Server.WaitForMessagesAsync(3, TimeSpan.FromSeconds(10));
        var waitChannel = t.Server.WaitForMessagesAsync("w2", 2, TimeSpan.FromSeconds(10));
        Assert.False(waitAll.IsCompleted);

        await t.PublishOkAsync("w1", """{"data":"1"}""");
        await t.BatchOkAsync("""{"channels":"w2","messages":[{"data":"2"},{"data":"3"}]}""");

        Assert.Equal(3, (await waitAll).Count);
        Assert.Equal(new[] { "2", "3" }, (await waitChannel).Select(m => m.DataString));

        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => t.Server.WaitForMessagesAsync("w2", 5, TimeSpan.FromMilliseconds(100)));
        Assert.Contains("got 2", timeout.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_endpoint_and_api_report_uncapped_counters()
    {
        await using var t = await TestServer.StartAsync(o => o.MaxHistoryPerChannel = 1);
        await t.PublishOkAsync("s1", """[{"data":"1"},{"data":"2"}]""");
        await t.PublishOkAsync("s1", """{"id":"dup","data":"3"}""");
        await t.PublishOkAsync("s1", """{"id":"dup","data":"3"}""");
        await t.BatchOkAsync("""{"channels":["s2","s3"],"messages":{"data":"4"}}""");
        using (var rejected = await t.PublishAsync(":bad", """{"data":"x"}"""))
        {
            Assert.Equal(HttpStatusCode.BadRequest, rejected.StatusCode);
        }

        using var anonymous = new HttpClient { BaseAddress = t.Server.BaseAddress };
        using var response = await anonymous.GetAsync("/_local/stats");
        var stats = await TestServer.ExpectAsync(response, HttpStatusCode.OK);
        Assert.Equal(5, stats.GetProperty("publishRequests").GetInt64());
        Assert.Equal(4, stats.GetProperty("channelPublishRequests").GetInt64());
        Assert.Equal(1, stats.GetProperty("batchPublishRequests").GetInt64());
        Assert.Equal(5, stats.GetProperty("acceptedMessages").GetInt64());
        Assert.Equal(1, stats.GetProperty("duplicateMessages").GetInt64());
        Assert.Equal(1, stats.GetProperty("rejectedRequests").GetInt64());
        var s1 = stats.GetProperty("channels").GetProperty("s1");
        Assert.Equal(3, s1.GetProperty("acceptedMessages").GetInt64());
        Assert.Equal(1, s1.GetProperty("duplicateMessages").GetInt64());
        Assert.Equal(1, s1.GetProperty("retainedMessages").GetInt64());

        var api = t.Server.GetStats();
        Assert.Equal(5, api.AcceptedMessages);
        Assert.Equal(1, api.Channels["s3"].AcceptedMessages);

        using var messages = await anonymous.GetAsync("/_local/messages?channel=s2");
        var list = await TestServer.ExpectAsync(messages, HttpStatusCode.OK);
        var entry = Assert.Single(list.EnumerateArray());
        Assert.Equal("s2", entry.GetProperty("message").GetProperty("channel").GetString());
        Assert.True(entry.GetProperty("receivedAtUnixMs").GetInt64() > 0);

        using var reset = await anonymous.PostAsync("/_local/reset", null);
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        Assert.Equal(0, t.Server.AcceptedMessageCount);
        Assert.Empty(t.Server.GetMessages());
        Assert.Empty(t.Server.GetChannelNames());
    }

    [Fact]
    public async Task WatchAsync_and_MessagesAccepted_see_new_messages()
    {
        await using var t = await TestServer.StartAsync();
        var seen = new ConcurrentQueue<string>();
        t.Server.MessagesAccepted += batch =>
        {
            foreach (var m in batch)
            {
                seen.Enqueue(m.Channel + "/" + m.DataString);
            }
        };

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var watched = new List<ReceivedMessage>();
        var watching = Task.Run(async () =>
        {
            await foreach (var message in t.Server.WatchAsync(new[] { "watched" }, cts.Token))
            {
                watched.Add(message);
                if (watched.Count == 2)
                {
                    break;
                }
            }
        });

        // Give the watcher a moment to register before publishing.
        await Task.Delay(100);
        await t.PublishOkAsync("ignored", """{"data":"0"}""");
        await t.PublishOkAsync("watched", """[{"data":"1"},{"data":"2"}]""");
        await watching;

        Assert.Equal(new[] { "1", "2" }, watched.Select(m => m.DataString));
        Assert.Equal(new[] { "ignored/0", "watched/1", "watched/2" }, seen);
    }

    [Fact]
    public async Task Concurrent_batch_publishes_are_all_counted_and_ordered_per_channel()
    {
        // Tests counting and ordering under 20,000 concurrent messages, not rate limits.
        await using var t = await TestServer.StartAsync(o => o.Plan = LocalAblyPlan.Unlimited);
        const int requests = 40;
        const int perRequest = 250;
        var publishers = Enumerable.Range(0, requests).Select(async r =>
        {
            var messages = string.Join(",", Enumerable.Range(0, perRequest).Select(i => $$"""{"id":"r{{r}}-{{i}}","name":"n","data":"{{i}}"}"""));
            await t.BatchOkAsync($$"""[{"channels":["load-{{r % 4}}","load-all"],"messages":[{{messages}}]}]""");
        });
        await Task.WhenAll(publishers);

        Assert.Equal(requests * perRequest * 2, t.Server.AcceptedMessageCount);
        Assert.Equal(requests * perRequest, t.Server.GetAcceptedMessageCount("load-all"));
        var all = t.Server.GetMessages("load-all");
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all.Select(m => m.ChannelSequence));
        Assert.Equal(all.Count, all.Select(m => m.Id).Distinct().Count());
    }
}
