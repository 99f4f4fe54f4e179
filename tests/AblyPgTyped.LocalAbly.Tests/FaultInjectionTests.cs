using System;
using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using Xunit;

namespace AblyPgTyped.LocalAbly.Tests;

public sealed class FaultInjectionTests
{
    [Theory]
    [InlineData(500, 50000)]
    [InlineData(503, 50003)]
    [InlineData(400, 40001)]
    [InlineData(401, 40101)]
    public async Task FailNext_fails_exactly_n_publishes_with_the_given_status_and_code(int status, int code)
    {
        await using var t = await TestServer.StartAsync();
        var rule = t.Server.Faults.FailNext(2, status, code);
        for (var i = 0; i < 2; i++)
        {
            using var failed = await t.PublishAsync("f", """{"data":"x"}""");
            await TestServer.ExpectErrorAsync(failed, status, code);
        }

        await t.PublishOkAsync("f", """{"data":"x"}""");
        Assert.Equal(2, rule.TimesApplied);
        Assert.Equal(0, rule.Remaining);
        Assert.Empty(t.Server.Faults.Rules);
        var stats = t.Server.GetStats();
        Assert.Equal(2, stats.InjectedFailures);
        Assert.Equal(2, stats.RejectedRequests);
        Assert.Equal(1, stats.AcceptedMessages);
    }

    [Fact]
    public async Task Rate_limit_fault_sends_429_with_retry_after()
    {
        await using var t = await TestServer.StartAsync();
        t.Server.Faults.FailNext(1, 429, 42913, retryAfter: TimeSpan.FromSeconds(2));
        using var response = await t.BatchAsync("""{"channels":"r","messages":{"data":"x"}}""");
        await TestServer.ExpectErrorAsync(response, 429, 42913);
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task FailAll_lasts_until_cleared_and_can_be_scoped_to_a_channel()
    {
        await using var t = await TestServer.StartAsync();
        t.Server.Faults.FailAll(503, 50003, channel: "broken");
        for (var i = 0; i < 3; i++)
        {
            using var failed = await t.PublishAsync("broken", """{"data":"x"}""");
            await TestServer.ExpectErrorAsync(failed, 503, 50003);
        }

        await t.PublishOkAsync("healthy", """{"data":"x"}""");
        t.Server.Faults.Clear();
        await t.PublishOkAsync("broken", """{"data":"x"}""");
    }

    [Fact]
    public async Task Channel_scoped_failure_in_a_batch_fails_only_that_channel_entry()
    {
        await using var t = await TestServer.StartAsync();
        t.Server.Faults.FailNext(1, 500, 50001, channel: "bad");
        var results = await t.BatchOkAsync("""{"channels":["good","bad"],"messages":[{"id":"i1","data":"x"}]}""");
        Assert.Equal(1, results[0].GetProperty("successCount").GetInt32());
        Assert.Equal(1, results[0].GetProperty("failureCount").GetInt32());
        var error = results[0].GetProperty("results")[1].GetProperty("error");
        Assert.Equal(50001, error.GetProperty("code").GetInt32());
        Assert.Equal(500, error.GetProperty("statusCode").GetInt32());
        Assert.Single(t.Server.GetMessages("good"));
        Assert.Empty(t.Server.GetMessages("bad"));

        // A retry of the same batch succeeds for "bad" and is de-duplicated for "good".
        var retry = await t.BatchOkAsync("""{"channels":["good","bad"],"messages":[{"id":"i1","data":"x"}]}""");
        Assert.Equal(2, retry[0].GetProperty("successCount").GetInt32());
        Assert.Single(t.Server.GetMessages("good"));
        Assert.Single(t.Server.GetMessages("bad"));
    }

    [Fact]
    public async Task Latency_delays_publishes()
    {
        await using var t = await TestServer.StartAsync();
        t.Server.Faults.AddLatency(TimeSpan.FromMilliseconds(300), count: 1);
        var watch = Stopwatch.StartNew();
        await t.PublishOkAsync("slow", """{"data":"x"}""");
        Assert.True(watch.ElapsedMilliseconds >= 280, "delayed by " + watch.ElapsedMilliseconds + " ms");
        watch.Restart();
        await t.PublishOkAsync("slow", """{"data":"x"}""");
        Assert.True(watch.ElapsedMilliseconds < 280, "second publish not delayed");
        Assert.Equal(1, t.Server.GetStats().DelayedRequests);
    }

    [Fact]
    public async Task Drop_aborts_the_connection_without_a_response()
    {
        await using var t = await TestServer.StartAsync();
        t.Server.Faults.DropNext(1);
        await Assert.ThrowsAsync<HttpRequestException>(() => t.PublishAsync("drop", """{"data":"x"}"""));
        await t.PublishOkAsync("drop", """{"data":"x"}""");
        Assert.Equal(1, t.Server.GetStats().DroppedConnections);
        Assert.Single(t.Server.GetMessages("drop"));
    }

    [Fact]
    public async Task Per_channel_rate_limit_gets_429_42913()
    {
        await using var t = await TestServer.StartAsync(o => o.RateLimitPerChannel = 3); // the alias of ChannelMessagesPerSecond
        Assert.Equal(3, t.Server.Limits.ChannelMessagesPerSecond);
        await t.PublishOkAsync("rl", """[{"data":"1"},{"data":"2"},{"data":"3"}]""");
        using var limited = await t.PublishAsync("rl", """{"data":"4"}""");
        await TestServer.ExpectErrorAsync(limited, 429, 42913);
        await t.PublishOkAsync("other-channel", """{"data":"1"}""");

        // In a batch, the limited channel fails inside the results.
        var batch = await t.BatchOkAsync("""{"channels":["rl","fresh"],"messages":{"data":"x"}}""");
        Assert.Equal(42913, batch[0].GetProperty("results")[0].GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(1, batch[0].GetProperty("successCount").GetInt32());

        // A run-time override of infinity lifts the limit; removing the override restores the start-up rate.
        t.Server.Faults.SetRateLimit(double.PositiveInfinity);
        Assert.Null(t.Server.Limits.ChannelMessagesPerSecond);
        await t.PublishOkAsync("rl", """{"data":"5"}""");
        Assert.Equal(4, t.Server.GetMessages("rl").Count);
        t.Server.Faults.SetRateLimit(null);
        Assert.Equal(3, t.Server.Limits.ChannelMessagesPerSecond);
    }

    [Fact]
    public async Task Faults_can_target_history()
    {
        await using var t = await TestServer.StartAsync();
        t.Server.Faults.FailNext(1, 500, 50000, target: FaultTarget.History);
        await t.PublishOkAsync("h", """{"data":"x"}""");
        using var failed = await t.Client.GetAsync(TestServer.ChannelPath("h"));
        await TestServer.ExpectErrorAsync(failed, 500, 50000);
        await t.GetJsonAsync(TestServer.ChannelPath("h"));
    }

    [Fact]
    public async Task Faults_are_controlled_over_http()
    {
        await using var t = await TestServer.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = t.Server.BaseAddress };

        using (var added = await anonymous.PostAsync("/_local/faults/fail?status=429&code=42913&count=1&retryAfter=1&channel=c", null))
        {
            var body = await TestServer.ExpectAsync(added, HttpStatusCode.Created);
            var fault = Assert.Single(body.GetProperty("faults").EnumerateArray());
            Assert.Equal("fail", fault.GetProperty("kind").GetString());
            Assert.Equal(1, fault.GetProperty("remaining").GetInt32());
        }

        using (var failed = await t.PublishAsync("c", """{"data":"x"}"""))
        {
            await TestServer.ExpectErrorAsync(failed, 429, 42913);
            Assert.Equal(TimeSpan.FromSeconds(1), failed.Headers.RetryAfter?.Delta);
        }

        await anonymous.PostAsync("/_local/faults/drop?count=1", null);
        await Assert.ThrowsAsync<HttpRequestException>(() => t.PublishAsync("c", """{"data":"x"}"""));

        await anonymous.PostAsync("/_local/faults/latency?ms=250", null);
        var watch = Stopwatch.StartNew();
        await t.PublishOkAsync("c", """{"data":"x"}""");
        Assert.True(watch.ElapsedMilliseconds >= 230);

        await anonymous.PostAsync("/_local/faults/ratelimit?perSecond=1", null);
        Assert.Equal(1, t.Server.Faults.RateLimitPerChannel);

        using (var cleared = await anonymous.DeleteAsync("/_local/faults"))
        {
            var body = await TestServer.ExpectAsync(cleared, HttpStatusCode.OK);
            Assert.Equal(0, body.GetProperty("faults").GetArrayLength());
        }

        Assert.Null(t.Server.Faults.RateLimitPerChannel);
        await t.PublishOkAsync("c", """{"data":"y"}""");

        using var bad = await anonymous.PostAsync("/_local/faults/explode", null);
        await TestServer.ExpectErrorAsync(bad, 404, 40400);
        using var badCount = await anonymous.PostAsync("/_local/faults/drop?count=0", null);
        await TestServer.ExpectErrorAsync(badCount, 400, 40003);
    }
}
