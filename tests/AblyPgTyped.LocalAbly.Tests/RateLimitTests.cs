using System;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Threading.Tasks;
using Xunit;

namespace AblyPgTyped.LocalAbly.Tests;

/// <summary>Ably's plan limits as token buckets: per channel, per account (messages), per account (requests).</summary>
public sealed class RateLimitTests
{
    [Fact]
    public async Task Default_plan_is_Standard_and_its_limits_are_visible()
    {
        await using var t = await TestServer.StartAsync();
        Assert.Equal(LocalAblyPlan.Standard, t.Server.Options.Plan);
        Assert.Equal(new LocalAblyLimits(50, 2_500, 362, 65_536), t.Server.Limits);

        using var anonymous = new HttpClient { BaseAddress = t.Server.BaseAddress };
        using var response = await anonymous.GetAsync("/_local/limits");
        var limits = await TestServer.ExpectAsync(response, HttpStatusCode.OK);
        Assert.Equal("standard", limits.GetProperty("plan").GetString());
        Assert.Equal(50, limits.GetProperty("channelMessagesPerSecond").GetDouble());
        Assert.Equal(2_500, limits.GetProperty("accountMessagesPerSecond").GetDouble());
        Assert.Equal(362, limits.GetProperty("accountRequestsPerSecond").GetDouble());
        Assert.Equal(65_536, limits.GetProperty("maxMessageSize").GetInt32());

        using var statsResponse = await anonymous.GetAsync("/_local/stats");
        var stats = await TestServer.ExpectAsync(statsResponse, HttpStatusCode.OK);
        Assert.Equal("standard", stats.GetProperty("limits").GetProperty("plan").GetString());
        foreach (var counter in new[] { "rateLimitedRequests", "channelRateLimited", "accountMessageRateLimited", "accountRequestRateLimited" })
        {
            Assert.Equal(0, stats.GetProperty(counter).GetInt64());
        }
    }

    [Theory]
    [InlineData(LocalAblyPlan.Free, 50.0, 500.0, 50.0, 65_536)]
    [InlineData(LocalAblyPlan.Standard, 50.0, 2_500.0, 362.0, 65_536)]
    [InlineData(LocalAblyPlan.Pro, 50.0, 10_000.0, 1_447.0, 262_144)]
    [InlineData(LocalAblyPlan.Unlimited, null, null, null, 65_536)]
    public async Task Plans_have_Ablys_documented_limits(LocalAblyPlan plan, double? channel, double? accountMessages, double? accountRequests, int maxMessageSize)
    {
        var expected = new LocalAblyLimits(channel, accountMessages, accountRequests, maxMessageSize);
        Assert.Equal(expected, LocalAblyLimits.ForPlan(plan));
        await using var t = await TestServer.StartAsync(o => o.Plan = plan);
        Assert.Equal(expected, t.Server.Limits);
    }

    [Fact]
    public async Task Options_override_single_limits_and_infinity_means_none()
    {
        await using var t = await TestServer.StartAsync(o =>
        {
            o.Plan = LocalAblyPlan.Free;
            o.ChannelMessagesPerSecond = double.PositiveInfinity;
            o.AccountMessagesPerSecond = 1_234;
            o.MaxMessageSize = 1_000;
        });
        Assert.Equal(new LocalAblyLimits(null, 1_234, 50, 1_000), t.Server.Limits);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => LocalAblyServer.StartAsync(new LocalAblyOptions { ChannelMessagesPerSecond = 0 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => LocalAblyServer.StartAsync(new LocalAblyOptions { AccountRequestsPerSecond = double.NaN }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => LocalAblyServer.StartAsync(new LocalAblyOptions { MaxMessageSize = 0 }));
    }

    [Fact]
    public async Task Pro_plan_accepts_256_KiB_per_publish_and_Standard_64_KiB()
    {
        var body = $$"""{"data":"{{new string('p', 200_000)}}"}""";
        await using var pro = await TestServer.StartAsync(o => o.Plan = LocalAblyPlan.Pro);
        await pro.PublishOkAsync("big", body);
        await using var standard = await TestServer.StartAsync();
        using var refused = await standard.PublishAsync("big", body);
        await TestServer.ExpectErrorAsync(refused, 413, 40009);
    }

    [Fact]
    public async Task Fifty_messages_pass_in_one_publish_and_51_can_never_pass()
    {
        await using var t = await TestServer.StartAsync();
        var accepted = await t.PublishOkAsync("fifty", Messages(50));
        Assert.Equal(50, accepted.GetProperty("serials").GetArrayLength());

        using var refused = await t.PublishAsync("fifty-one", Messages(51));
        var error = await TestServer.ExpectErrorAsync(refused, 429, 42913);
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains("\"fifty-one\"", message, StringComparison.Ordinal);
        Assert.Contains("can never pass", message, StringComparison.Ordinal);
        Assert.Contains("send fewer messages per request", message, StringComparison.Ordinal);
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Empty(t.Server.GetMessages("fifty-one"));

        var stats = t.Server.GetStats();
        Assert.Equal(1, stats.ChannelRateLimited);
        Assert.Equal(1, stats.RateLimitedRequests);
        Assert.Equal(1, stats.RejectedRequests);
        Assert.Equal(51, stats.RejectedMessages);
    }

    [Fact]
    public async Task A_second_burst_is_refused_with_retry_after_until_the_bucket_has_refilled()
    {
        await using var t = await TestServer.StartAsync();
        await t.PublishOkAsync("burst", Messages(50));

        using (var refused = await t.PublishAsync("burst", Messages(50)))
        {
            var error = await TestServer.ExpectErrorAsync(refused, 429, 42913);
            var message = error.GetProperty("message").GetString()!;
            Assert.Contains("channel \"burst\" allows 50 messages per second", message, StringComparison.Ordinal);
            Assert.DoesNotContain("never", message, StringComparison.Ordinal);
            Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta); // 50 tokens at 50/s: just under a second
        }

        Assert.Equal(50, t.Server.GetMessages("burst").Count);

        // The bucket holds one second's budget and refills continuously.
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        await t.PublishOkAsync("burst", Messages(50));
        Assert.Equal(100, t.Server.GetMessages("burst").Count);
    }

    [Fact]
    public async Task Retry_after_is_the_time_until_enough_tokens_in_whole_seconds()
    {
        // 0.5 message/s: the bucket holds 1 message (never less), and the next one takes 2 s to come.
        await using var t = await TestServer.StartAsync(o => o.ChannelMessagesPerSecond = 0.5);
        await t.PublishOkAsync("slow", """{"data":"1"}""");
        using var refused = await t.PublishAsync("slow", """{"data":"2"}""");
        await TestServer.ExpectErrorAsync(refused, 429, 42913);
        Assert.Equal(TimeSpan.FromSeconds(2), refused.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Batch_publish_reports_a_channel_over_budget_inside_the_results()
    {
        await using var t = await TestServer.StartAsync();
        await t.PublishOkAsync("busy", Messages(50));

        var results = await t.BatchOkAsync("""{"channels":["busy","calm"],"messages":[{"data":"x"},{"data":"y"}]}""");
        var result = Assert.Single(results.EnumerateArray());
        Assert.Equal(1, result.GetProperty("successCount").GetInt32());
        Assert.Equal(1, result.GetProperty("failureCount").GetInt32());
        var busy = result.GetProperty("results")[0];
        Assert.Equal("busy", busy.GetProperty("channel").GetString());
        Assert.Equal(42913, busy.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(429, busy.GetProperty("error").GetProperty("statusCode").GetInt32());
        var calm = result.GetProperty("results")[1];
        Assert.Equal("calm", calm.GetProperty("channel").GetString());
        Assert.Equal(2, calm.GetProperty("serials").GetArrayLength());

        Assert.Equal(50, t.Server.GetMessages("busy").Count);
        Assert.Equal(2, t.Server.GetMessages("calm").Count);
        var stats = t.Server.GetStats();
        Assert.Equal(1, stats.ChannelRateLimited);
        Assert.Equal(1, stats.BatchChannelFailures);
        Assert.Equal(0, stats.RateLimitedRequests); // the request itself succeeded

        // More messages for one channel than it can ever take are reported the same way, with the "never" hint.
        var never = await t.BatchOkAsync($$"""{"channels":["huge","small"],"messages":{{Messages(51)}}}""");
        Assert.Contains("can never pass", never[0].GetProperty("results")[0].GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(42913, never[0].GetProperty("results")[1].GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Account_message_rate_refuses_the_whole_request_with_42917()
    {
        await using var t = await TestServer.StartAsync(o => o.AccountMessagesPerSecond = 100);

        // 60 channels × 2 messages = 120 > 100: more than the account's one-second budget, so never.
        using (var never = await t.BatchAsync(Batch("n", 60, 2)))
        {
            var error = await TestServer.ExpectErrorAsync(never, 429, 42917);
            Assert.Contains("can never pass", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        // The refused request took no message tokens: 99 of the 100 still pass.
        await t.BatchOkAsync(Batch("a", 33, 3));

        // 90 more need about 0.9 s of refill: refused even on a slow, busy machine.
        using (var refused = await t.BatchAsync(Batch("b", 30, 3)))
        {
            var error = await TestServer.ExpectErrorAsync(refused, 429, 42917);
            Assert.Contains("the account allows 100 messages per second", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        }

        using (var refused = await t.PublishAsync("c", Messages(50)))
        {
            await TestServer.ExpectErrorAsync(refused, 429, 42917);
        }

        Assert.Equal(99, t.Server.AcceptedMessageCount); // nothing of the refused requests was stored
        Assert.Empty(t.Server.GetMessages("b0"));
        Assert.Empty(t.Server.GetMessages("c"));
        var stats = t.Server.GetStats();
        Assert.Equal(3, stats.AccountMessageRateLimited);
        Assert.Equal(3, stats.RateLimitedRequests);
        Assert.Equal(0, stats.ChannelRateLimited);
    }

    [Fact]
    public async Task Publishes_refused_by_their_channel_spend_no_account_tokens()
    {
        await using var t = await TestServer.StartAsync(o => o.AccountMessagesPerSecond = 100);
        await t.PublishOkAsync("full", Messages(50));

        // Ten refusals of 10 messages would have used the remaining 50 account tokens twice over.
        for (var i = 0; i < 10; i++)
        {
            using var refused = await t.PublishAsync("full", Messages(10));
            await TestServer.ExpectErrorAsync(refused, 429, 42913);
        }

        await t.PublishOkAsync("other", Messages(50));
        Assert.Equal(0, t.Server.GetStats().AccountMessageRateLimited);
    }

    [Fact]
    public async Task Account_request_rate_refuses_the_sixth_rapid_request_with_42918()
    {
        await using var t = await TestServer.StartAsync(o => o.AccountRequestsPerSecond = 5);

        // History, time and control requests do not count (and warm the connection up).
        await t.GetJsonAsync("/time");
        await t.GetJsonAsync(TestServer.ChannelPath("r"));
        await t.GetJsonAsync("/_local/stats");

        var watch = Stopwatch.StartNew();
        var accepted = 0;
        HttpResponseMessage? refused = null;
        while (refused is null && accepted < 20)
        {
            var response = accepted % 2 == 0
                ? await t.PublishAsync("r", """{"data":"x"}""")
                : await t.BatchAsync("""{"channels":"r","messages":{"data":"x"}}""");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused = response;
            }
            else
            {
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                response.Dispose();
                accepted++;
            }
        }

        // Exactly 5 unless the machine stalled long enough (200 ms per token) for the bucket to refill.
        Assert.InRange(accepted, 5, 5 + (int)Math.Floor(watch.Elapsed.TotalSeconds * 5));
        using (refused)
        {
            var error = await TestServer.ExpectErrorAsync(refused!, 429, 42918);
            Assert.Contains("5 publish requests per second", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.True(refused!.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        }

        Assert.Equal(accepted, t.Server.GetMessages("r").Count);
        await t.GetJsonAsync(TestServer.ChannelPath("r")); // reading is not limited
        var stats = t.Server.GetStats();
        Assert.Equal(1, stats.AccountRequestRateLimited);
        Assert.Equal(1, stats.RateLimitedRequests);
    }

    [Fact]
    public async Task Duplicates_take_no_tokens()
    {
        await using var t = await TestServer.StartAsync(o => o.AccountMessagesPerSecond = 100);
        var group = "[" + string.Join(",", Enumerable.Range(0, 50).Select(i => $$"""{"id":"g:{{i}}","data":"x"}""")) + "]";
        var perMessage = $$"""{"channels":"batch","messages":[{{string.Join(",", Enumerable.Range(0, 50).Select(i => $$"""{"id":"row-{{i}}","data":"x"}"""))}}]}""";
        await t.PublishOkAsync("group", group);
        await t.BatchOkAsync(perMessage);

        // Both channels and the account are now out of tokens, yet retries of the same messages pass as duplicates.
        var retry = await t.PublishOkAsync("group", group);
        Assert.All(retry.GetProperty("serials").EnumerateArray(), s => Assert.Equal(JsonValueKind.Null, s.ValueKind));
        var batchRetry = await t.BatchOkAsync(perMessage);
        Assert.Equal(1, batchRetry[0].GetProperty("successCount").GetInt32());

        Assert.Equal(100, t.Server.AcceptedMessageCount);
        var stats = t.Server.GetStats();
        Assert.Equal(100, stats.DuplicateMessages);
        Assert.Equal(0, stats.RateLimitedRequests);
        Assert.Equal(0, stats.ChannelRateLimited);

        // New messages on the same channel are still refused: the duplicates did not hide real traffic.
        using var refused = await t.PublishAsync("group", Messages(50));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
    }

    [Fact]
    public async Task Unlimited_plan_accepts_5000_messages_to_one_channel_quickly()
    {
        await using var t = await TestServer.StartAsync(o => o.Plan = LocalAblyPlan.Unlimited);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 5; i++)
        {
            await t.PublishOkAsync("bulk", Messages(1_000));
        }

        Assert.Equal(5_000, t.Server.GetAcceptedMessageCount("bulk"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "took " + watch.Elapsed);
    }

    [Fact]
    public async Task Reset_fills_the_buckets_again()
    {
        await using var t = await TestServer.StartAsync();
        await t.PublishOkAsync("again", Messages(50));
        t.Server.Reset();
        await t.PublishOkAsync("again", Messages(50));
    }

    private static string Messages(int count) => "[" + string.Join(",", Enumerable.Range(0, count).Select(i => $$"""{"data":"{{i}}"}""")) + "]";

    private static string Batch(string prefix, int channels, int messagesPerChannel)
    {
        var names = string.Join(",", Enumerable.Range(0, channels).Select(i => "\"" + prefix + i + "\""));
        return $$"""{"channels":[{{names}}],"messages":{{Messages(messagesPerChannel)}}}""";
    }
}
