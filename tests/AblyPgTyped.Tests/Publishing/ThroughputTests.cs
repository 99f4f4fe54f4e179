using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.LocalAbly;
using AblyPgTyped.Publishing;
using Xunit;
using Xunit.Abstractions;
using static AblyPgTyped.Tests.Publishing.PublishingTestKit;

namespace AblyPgTyped.Tests.Publishing;

/// <summary>A simple publishing loop against the local endpoint; prints messages per second.</summary>
public sealed class ThroughputTests
{
    private readonly ITestOutputHelper _output;

    public ThroughputTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData(1, 1000)]
    [InlineData(10, 100)]
    public async Task HundredThousandMessages_InCallsOfAThousand(int channelsPerCall, int messagesPerChannel)
    {
        const int Total = 100_000;
        await using var server = await StartServerAsync(o =>
        {
            o.MaxHistoryPerChannel = 100;
            o.MaxRecordedMessages = 1000;
            o.Plan = LocalAblyPlan.Unlimited; // measures the raw publisher's request packing, which does no pacing of its own
        });
        using var publisher = new AblyRestPublisher(OptionsFor(server));
        var headers = new Dictionary<string, string> { ["schema"] = "public", ["table"] = "orders", ["operation"] = "insert" };
        var calls = Total / (channelsPerCall * messagesPerChannel);
        var payload = "{\"id\":123456,\"customer\":\"c-000042\",\"status\":\"paid\",\"amount\":\"129.95\",\"updated_at\":\"2025-11-24T03:22:00Z\"}";

        // Warm-up (JIT, connections), not measured.
        await publisher.PublishAsync(new[] { new ChannelBatch("warmup", Messages("w", 100)) }, CancellationToken.None);
        var baseline = server.AcceptedMessageCount;

        var watch = Stopwatch.StartNew();
        for (var call = 0; call < calls; call++)
        {
            var batches = new List<ChannelBatch>(channelsPerCall);
            for (var c = 0; c < channelsPerCall; c++)
            {
                var messages = new List<OutboundMessage>(messagesPerChannel);
                for (var m = 0; m < messagesPerChannel; m++)
                {
                    messages.Add(new OutboundMessage(
                        string.Create(CultureInfo.InvariantCulture, $"t{call}-{c}-{m}"),
                        "insert",
                        payload,
                        headers));
                }

                batches.Add(new ChannelBatch("tp:" + c.ToString(CultureInfo.InvariantCulture), messages));
            }

            var results = await publisher.PublishAsync(batches, CancellationToken.None);
            Assert.All(results, r => Assert.Equal(PublishStatus.Accepted, r.Status));
        }

        watch.Stop();
        Assert.Equal(Total, server.AcceptedMessageCount - baseline);
        var rate = Total / watch.Elapsed.TotalSeconds;
        _output.WriteLine(
            "{0:N0} messages ({1} channel(s) x {2} per call, {3} calls, {4} requests) in {5:N0} ms: {6:N0} messages/s",
            Total, channelsPerCall, messagesPerChannel, calls, server.GetStats().BatchPublishRequests, watch.Elapsed.TotalMilliseconds, rate);
        Assert.True(rate > 5_000, "unexpectedly slow: " + rate.ToString("N0", CultureInfo.InvariantCulture) + " messages/s");
    }
}
