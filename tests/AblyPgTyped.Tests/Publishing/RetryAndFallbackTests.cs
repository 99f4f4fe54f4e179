using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.LocalAbly;
using AblyPgTyped.Publishing;
using Xunit;
using static AblyPgTyped.Tests.Publishing.PublishingTestKit;

namespace AblyPgTyped.Tests.Publishing;

/// <summary>Transient failures: 5xx, dropped connections, endpoint down, 429, timeouts, fallback hosts, cancellation.</summary>
public sealed class RetryAndFallbackTests
{
    [Fact]
    public async Task ServerErrors_AreRetried_EachMessageDeliveredOnce()
    {
        await using var server = await StartServerAsync();
        server.Faults.FailNext(2, statusCode: 503, errorCode: 50003);
        server.Faults.DropNext(1);
        var logger = new TestLogger();
        using var publisher = new AblyRestPublisher(OptionsFor(server), logger);
        var batches = new[] { new ChannelBatch("a", Messages("a", 10)), new ChannelBatch("b", Messages("b", 10)) };

        var results = await publisher.PublishAsync(batches, CancellationToken.None);

        Assert.All(results, r => Assert.Equal(PublishStatus.Accepted, r.Status));
        Assert.Equal(Ids(batches[0].Messages), Ids(server.GetMessages("a")));
        Assert.Equal(Ids(batches[1].Messages), Ids(server.GetMessages("b")));
        Assert.Equal(4, server.GetStats().BatchPublishRequests);
        Assert.Equal(3, logger.Count(3002)); // one retry log per failed attempt (no fallbacks for a custom host)
    }

    [Fact]
    public async Task EndpointDown_RetryLaterAfterBudget_ThenSuccessOnNextCall()
    {
        var port = FreePort();
        var logger = new TestLogger();
        using var publisher = new AblyRestPublisher(OptionsFor(port, o => o.MaxRetryDuration = TimeSpan.FromSeconds(1)), logger);
        var batches = new[] { new ChannelBatch("a", Messages("a", 5)), new ChannelBatch("b", Messages("b", 5)) };

        var watch = Stopwatch.StartNew();
        var down = await publisher.PublishAsync(batches, CancellationToken.None);
        watch.Stop();

        Assert.All(down, r =>
        {
            Assert.Equal(PublishStatus.RetryLater, r.Status);
            Assert.Equal(0, r.AcceptedCount);
            Assert.Equal(80000, r.Error!.Code);
        });
        // Full jitter can make the pauses short; the retries below say the budget was used, the bound that it ended.
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(40), TimeSpan.FromSeconds(5));
        Assert.True(logger.Count(3002) >= 2, "several retries inside the budget");
        Assert.Equal(1, logger.Count(3012));

        await using var server = await StartServerAsync(o => o.Port = port);
        var up = await publisher.PublishAsync(batches, CancellationToken.None);

        Assert.All(up, r => Assert.Equal(PublishStatus.Accepted, r.Status));
        Assert.Equal(10, server.AcceptedMessageCount);
    }

    [Fact]
    public async Task TooManyRequests_RetryAfterIsHonoured_OnTheSameHost()
    {
        await using var server = await StartServerAsync();
        server.Faults.FailNext(1, statusCode: 429, errorCode: 42922, retryAfter: TimeSpan.FromSeconds(1));
        var logger = new TestLogger();
        using var publisher = new AblyRestPublisher(OptionsFor(server, o => o.FallbackHosts = new List<string> { "127.0.0.3" }), logger);

        var watch = Stopwatch.StartNew();
        var results = await publisher.PublishAsync(new[] { new ChannelBatch("a", Messages("a", 3)) }, CancellationToken.None);

        Assert.Equal(PublishStatus.Accepted, Assert.Single(results).Status);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(950), "waited " + watch.Elapsed);
        Assert.Equal(1, logger.Count(3006));
        Assert.Equal(0, logger.Count(3003)); // no fallback for 4xx
        Assert.Equal(3, server.AcceptedMessageCount);
    }

    [Fact]
    public async Task RetryAfterBeyondTheBudget_ReturnsRetryLaterAtOnce_WithTheHint()
    {
        await using var server = await StartServerAsync();
        server.Faults.FailAll(statusCode: 429, errorCode: 42913, retryAfter: TimeSpan.FromSeconds(30));
        using var publisher = new AblyRestPublisher(OptionsFor(server, o => o.MaxRetryDuration = TimeSpan.FromSeconds(2)));

        var watch = Stopwatch.StartNew();
        var result = Assert.Single(await publisher.PublishAsync(new[] { new ChannelBatch("a", Messages("a", 3)) }, CancellationToken.None));

        Assert.Equal(PublishStatus.RetryLater, result.Status);
        Assert.Equal(TimeSpan.FromSeconds(30), result.RetryAfter);
        Assert.Equal(42913, result.Error!.Code);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), "no pointless wait: " + watch.Elapsed);
    }

    [Fact]
    public async Task PerChannelErrorsInsideBatchResults_OnlyThoseChannelsAreResent()
    {
        await using var server = await StartServerAsync();
        server.Faults.FailNext(2, statusCode: 429, errorCode: 42913, channel: "b", target: FaultTarget.BatchPublish);
        server.Faults.FailNext(1, statusCode: 500, errorCode: 50001, channel: "c", target: FaultTarget.BatchPublish);
        var logger = new TestLogger();
        using var publisher = new AblyRestPublisher(OptionsFor(server), logger);
        var batches = new[] { "a", "b", "c" }.Select(c => new ChannelBatch(c, Messages(c, 4))).ToList();

        var results = await publisher.PublishAsync(batches, CancellationToken.None);

        Assert.All(results, r => Assert.Equal(PublishStatus.Accepted, r.Status));
        var stats = server.GetStats();
        Assert.Equal(3, stats.BatchChannelFailures);
        Assert.Equal(1, stats.Channels["a"].PublishRequests); // "a" was sent once
        Assert.Equal(0, stats.DuplicateMessages);
        foreach (var batch in batches)
        {
            Assert.Equal(Ids(batch.Messages), Ids(server.GetMessages(batch.Channel)));
        }

        Assert.Equal(2, logger.Count(3006)); // rate limited twice on "b"
        Assert.Equal(1, logger.Count(3007)); // 5xx once on "c"
    }

    [Fact]
    public async Task PerChannelRateLimitOfTheServer_IsRetriedUntilItPasses()
    {
        await using var server = await StartServerAsync(o => o.RateLimitPerChannel = 20);
        using var publisher = new AblyRestPublisher(OptionsFor(server, o => o.MaxMessagesPerChannelSpec = 10));
        var messages = Messages("r", 40); // 40 messages at 20/s: needs ~1-2 s of retries

        var result = Assert.Single(await publisher.PublishAsync(new[] { new ChannelBatch("limited", messages) }, CancellationToken.None));

        Assert.Equal(PublishStatus.Accepted, result.Status);
        Assert.Equal(Ids(messages), Ids(server.GetMessages("limited")));
        Assert.True(server.GetStats().BatchChannelFailures >= 1, "the limit was hit at least once");
    }

    [Fact]
    public async Task Timeout_IsRetried_AndTheMessageArrivesOnce()
    {
        await using var server = await StartServerAsync();
        server.Faults.AddLatency(TimeSpan.FromSeconds(3), count: 1);
        var logger = new TestLogger();
        using var publisher = new AblyRestPublisher(OptionsFor(server, o => o.RequestTimeout = TimeSpan.FromMilliseconds(400)), logger);

        var watch = Stopwatch.StartNew();
        var result = Assert.Single(await publisher.PublishAsync(new[] { new ChannelBatch("slow", Messages("s", 3)) }, CancellationToken.None));

        Assert.Equal(PublishStatus.Accepted, result.Status);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2.5), "did not wait for the slow response: " + watch.Elapsed);
        Assert.Contains(logger.Entries, e => e.EventId == 3002 && e.Text.Contains("50003", StringComparison.Ordinal));
        await Task.Delay(200);
        Assert.Equal(3, server.GetAcceptedMessageCount("slow"));
    }

    [Fact]
    public async Task UnreachablePrimary_FallbackHostAccepts_AndStaysPreferred()
    {
        await using var server = await StartServerAsync();
        var logger = new TestLogger();
        using var publisher = new AblyRestPublisher(
            OptionsFor(server, o =>
            {
                o.RestHost = "127.0.0.2"; // nothing listens there on this port
                o.FallbackHosts = new List<string> { "127.0.0.1" };
            }),
            logger);

        var first = Assert.Single(await publisher.PublishAsync(new[] { new ChannelBatch("f", Messages("f1", 3)) }, CancellationToken.None));
        var second = Assert.Single(await publisher.PublishAsync(new[] { new ChannelBatch("f", Messages("f2", 3)) }, CancellationToken.None));

        Assert.Equal(PublishStatus.Accepted, first.Status);
        Assert.Equal(PublishStatus.Accepted, second.Status);
        Assert.Equal(6, server.GetAcceptedMessageCount("f"));
        Assert.Equal(1, logger.Count(3003)); // switched once; the second call went straight to the fallback
        Assert.Equal(1, logger.Count(3004));
        Assert.Equal("127.0.0.1", publisher.StickyFallbackHost);
    }

    [Fact]
    public async Task AFallbackHost_IsTriedOnlyAfterTheCallersCheck_WhichCanStopIt()
    {
        // The connector's leader fence vouches for a request when it leaves; a fallback host may be tried a request
        // timeout later, by which time the connector may have been deposed.
        await using var server = await StartServerAsync();
        using var publisher = new AblyRestPublisher(
            OptionsFor(server, o =>
            {
                o.RestHost = "127.0.0.2"; // nothing listens there on this port
                o.FallbackHosts = new List<string> { "127.0.0.1" };
            }));
        var body = "[{\"channels\":[\"fenced\"],\"messages\":[{\"id\":\"fence:0\",\"data\":\"d\"}]}]"u8.ToArray();

        var deposed = new InvalidOperationException("deposed meanwhile");
        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(
            () => publisher.SendOnceAsync(body, 1, 1, _ => throw deposed, CancellationToken.None));
        Assert.Same(deposed, thrown);
        Assert.Equal(0, server.GetAcceptedMessageCount("fenced"));

        var checks = 0;
        var outcome = await publisher.SendOnceAsync(body, 1, 1, _ => { checks++; return Task.CompletedTask; }, CancellationToken.None);
        Assert.Equal(RequestOutcomeKind.Completed, outcome.Kind);
        Assert.Equal(1, checks);
        Assert.Equal(1, server.GetAcceptedMessageCount("fenced"));

        // The fallback host is now the one tried first: nothing is checked again for it.
        await publisher.SendOnceAsync(body, 1, 1, _ => { checks++; return Task.CompletedTask; }, CancellationToken.None);
        Assert.Equal(1, checks);
    }

    [Fact]
    public async Task StickyFallback_ExpiresAfterTenMinutes()
    {
        await using var server = await StartServerAsync();
        var logger = new TestLogger();
        var time = new ShiftableTimeProvider();
        using var publisher = new AblyRestPublisher(
            OptionsFor(server, o =>
            {
                o.RestHost = "127.0.0.2";
                o.FallbackHosts = new List<string> { "127.0.0.1" };
            }),
            logger,
            time: time);

        await publisher.PublishAsync(new[] { new ChannelBatch("s", Messages("s1", 1)) }, CancellationToken.None);
        time.Shift(TimeSpan.FromMinutes(9));
        await publisher.PublishAsync(new[] { new ChannelBatch("s", Messages("s2", 1)) }, CancellationToken.None);
        Assert.Equal(1, logger.Count(3003));

        time.Shift(TimeSpan.FromMinutes(2));
        var third = Assert.Single(await publisher.PublishAsync(new[] { new ChannelBatch("s", Messages("s3", 1)) }, CancellationToken.None));

        Assert.Equal(PublishStatus.Accepted, third.Status);
        Assert.Equal(1, logger.Count(3005)); // back to the primary…
        Assert.Equal(2, logger.Count(3003)); // …which failed again, so the fallback was used again
        Assert.Equal(3, server.AcceptedMessageCount);
    }

    [Fact]
    public async Task NameResolutionFailure_OfThePrimary_FallsBack()
    {
        // The only custom handler in these tests: the local server cannot make DNS fail. Everything else is real HTTP.
        await using var server = await StartServerAsync();
        using var handler = new FailingDnsHandler("primary.ably.invalid");
        using var publisher = new AblyRestPublisher(
            OptionsFor(server, o =>
            {
                o.RestHost = "primary.ably.invalid";
                o.FallbackHosts = new List<string> { "127.0.0.1" };
            }),
            handler: handler);

        var result = Assert.Single(await publisher.PublishAsync(new[] { new ChannelBatch("dns", Messages("d", 2)) }, CancellationToken.None));

        Assert.Equal(PublishStatus.Accepted, result.Status);
        Assert.Equal(1, handler.Failures);
        Assert.Equal(2, server.AcceptedMessageCount);
    }

    [Fact]
    public async Task Cancellation_AbortsTheRequestInFlight()
    {
        await using var server = await StartServerAsync();
        server.Faults.AddLatency(TimeSpan.FromSeconds(10));
        using var publisher = new AblyRestPublisher(OptionsFor(server, o => o.RequestTimeout = TimeSpan.FromSeconds(30)));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => publisher.PublishAsync(new[] { new ChannelBatch("c", Messages("c", 2)) }, cts.Token));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), "cancelled promptly: " + watch.Elapsed);
        Assert.Equal(0, server.AcceptedMessageCount);
    }

    [Fact]
    public async Task Cancellation_DuringBackoff()
    {
        await using var server = await StartServerAsync();
        server.Faults.FailAll(statusCode: 429, errorCode: 42922, retryAfter: TimeSpan.FromSeconds(5));
        using var publisher = new AblyRestPublisher(OptionsFor(server, o => o.MaxRetryDuration = TimeSpan.FromSeconds(30)));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => publisher.PublishAsync(new[] { new ChannelBatch("c", Messages("c", 2)) }, cts.Token));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), "cancelled promptly: " + watch.Elapsed);
    }

    [Fact]
    public async Task UnexpectedStatus_IsRetryLater_NotRejected()
    {
        await using var server = await StartServerAsync();
        server.Faults.FailAll(statusCode: 404, errorCode: 40400);
        var logger = new TestLogger();
        using var publisher = new AblyRestPublisher(OptionsFor(server, o => o.MaxChannelsPerRequest = 1), logger);

        var results = await publisher.PublishAsync(
            Enumerable.Range(0, 10).Select(i => new ChannelBatch("u" + i, Messages("u" + i, 1))).ToList(),
            CancellationToken.None);

        Assert.All(results, r => Assert.Equal(PublishStatus.RetryLater, r.Status));
        Assert.True(server.GetStats().BatchPublishRequests < 10, "stopped sending after the endpoint looked wrong");
        Assert.True(logger.Count(3013) >= 1);
    }

    /// <summary>A clock whose monotonic timestamp can jump forward (timers still run in real time).</summary>
    private sealed class ShiftableTimeProvider : TimeProvider
    {
        private long _offsetTicks;

        public void Shift(TimeSpan by) => Interlocked.Add(ref _offsetTicks, (long)(by.TotalSeconds * TimestampFrequency));

        public override long GetTimestamp() => System.GetTimestamp() + Interlocked.Read(ref _offsetTicks);

        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + TimeSpan.FromSeconds((double)Interlocked.Read(ref _offsetTicks) / TimestampFrequency);
    }

    /// <summary>Fails name resolution for one host and sends everything else over a real socket handler.</summary>
    private sealed class FailingDnsHandler : DelegatingHandler
    {
        private readonly string _host;
        private int _failures;

        public FailingDnsHandler(string host)
            : base(new SocketsHttpHandler())
        {
            _host = host;
        }

        public int Failures => Volatile.Read(ref _failures);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (string.Equals(request.RequestUri?.Host, _host, StringComparison.OrdinalIgnoreCase))
            {
                Interlocked.Increment(ref _failures);
                throw new HttpRequestException(HttpRequestError.NameResolutionError, "Name or service not known (" + _host + ":80)");
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
