using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.LocalAbly;
using AblyPgTyped.Publishing;
using Xunit;
using static AblyPgTyped.Tests.Publishing.PublishingTestKit;

namespace AblyPgTyped.Tests.Publishing;

/// <summary>Permanent refusals: which message, which channel, and that nothing else is lost; bad credentials.</summary>
public sealed class RejectionTests
{
    [Fact]
    public async Task RequestLevel400_IsIsolated_ToTheExactMessage_OthersGetThrough()
    {
        await using var server = await StartServerAsync();
        var logger = new TestLogger();
        using var publisher = new AblyRestPublisher(OptionsFor(server), logger);
        var b = Messages("b", 10);
        b[6] = b[6] with { Id = string.Empty }; // the server refuses the whole request: 400 / 40031
        var batches = new[] { new ChannelBatch("a", Messages("a", 10)), new ChannelBatch("b", b), new ChannelBatch("c", Messages("c", 10)) };

        var results = await publisher.PublishAsync(batches, CancellationToken.None);

        Assert.Equal(PublishStatus.Accepted, results[0].Status);
        Assert.Equal(PublishStatus.Accepted, results[2].Status);
        var rejected = results[1];
        Assert.Equal(PublishStatus.Rejected, rejected.Status);
        Assert.Equal(6, rejected.RejectedMessageIndex);
        Assert.Equal(6, rejected.AcceptedCount);
        Assert.Equal(40031, rejected.Error!.Code);
        Assert.Equal(Ids(b.Take(6)), Ids(server.GetMessages("b")));
        Assert.Equal(10, server.GetAcceptedMessageCount("a"));
        Assert.Equal(10, server.GetAcceptedMessageCount("c"));
        Assert.True(server.GetStats().BatchPublishRequests <= 12, "isolation is logarithmic: " + server.GetStats().BatchPublishRequests);
        Assert.Equal(1, logger.Count(3010));
        Assert.Equal(1, logger.Count(3008));

        // The caller dead-letters message 6 and publishes the rest.
        var rest = Assert.Single(await publisher.PublishAsync(new[] { new ChannelBatch("b", b.Skip(7).ToList()) }, CancellationToken.None));
        Assert.Equal(PublishStatus.Accepted, rest.Status);
        Assert.Equal(Ids(b.Take(6).Concat(b.Skip(7))), Ids(server.GetMessages("b")));
    }

    [Fact]
    public async Task RequestLevel413_FromASmallerServerLimit_FindsTheOversizeMessage()
    {
        await using var server = await StartServerAsync(o => o.MaxMessageSize = 2000);
        using var publisher = new AblyRestPublisher(OptionsFor(server)); // believes 64 KiB is fine
        var messages = Messages("m", 10, padding: 250);
        messages[4] = Message("m-4", data: "\"" + new string('y', 3000) + "\"");

        var result = Assert.Single(await publisher.PublishAsync(new[] { new ChannelBatch("sized", messages) }, CancellationToken.None));

        Assert.Equal(PublishStatus.Rejected, result.Status);
        Assert.Equal(4, result.RejectedMessageIndex);
        Assert.Equal(40009, result.Error!.Code);
        Assert.Equal(Ids(messages.Take(4)), Ids(server.GetMessages("sized")));

        var rest = Assert.Single(await publisher.PublishAsync(new[] { new ChannelBatch("sized", messages.Skip(5).ToList()) }, CancellationToken.None));
        Assert.Equal(PublishStatus.Accepted, rest.Status);
        Assert.Equal(9, server.GetAcceptedMessageCount("sized"));
    }

    [Fact]
    public async Task OversizeMessage_IsRejectedBeforeSending()
    {
        await using var server = await StartServerAsync();
        var logger = new TestLogger();
        using var publisher = new AblyRestPublisher(OptionsFor(server, o => o.MaxMessageSize = 1000), logger);
        var messages = Messages("o", 5);
        messages[2] = Message("o-2", data: "\"" + new string('z', 1500) + "\"");
        Assert.True(AblyMessageSize.Of(messages[2]) > 1000);

        var result = Assert.Single(await publisher.PublishAsync(new[] { new ChannelBatch("o", messages) }, CancellationToken.None));

        Assert.Equal(PublishStatus.Rejected, result.Status);
        Assert.Equal(2, result.RejectedMessageIndex);
        Assert.Equal(2, result.AcceptedCount);
        Assert.Equal(40009, result.Error!.Code);
        Assert.Contains("MaxMessageSize", result.Error.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { "o-0", "o-1" }, Ids(server.GetMessages("o")));
        Assert.Equal(0, server.GetStats().RejectedRequests);
        Assert.Equal(1, logger.Count(3015));
    }

    [Fact]
    public async Task PerChannelRejections_RejectOnlyThatChannel()
    {
        await using var server = await StartServerAsync();
        server.Faults.FailNext(1, statusCode: 401, errorCode: 40160, message: "Channel denied access based on given capability", channel: "secret", target: FaultTarget.BatchPublish);
        using var publisher = new AblyRestPublisher(OptionsFor(server));
        var batches = new[]
        {
            new ChannelBatch("ok", Messages("ok", 5)),
            new ChannelBatch("[bad", Messages("bad", 5)), // invalid channel name: 40010 inside the results
            new ChannelBatch("secret", Messages("secret", 5)),
        };

        var results = await publisher.PublishAsync(batches, CancellationToken.None);

        Assert.Equal(PublishStatus.Accepted, results[0].Status);
        Assert.Equal(PublishStatus.Rejected, results[1].Status);
        Assert.Equal(40010, results[1].Error!.Code);
        Assert.Equal(0, results[1].RejectedMessageIndex);
        Assert.Equal(PublishStatus.Rejected, results[2].Status);
        Assert.Equal(40160, results[2].Error!.Code);
        Assert.Equal(0, results[2].RejectedMessageIndex);
        Assert.Equal(1, server.GetStats().BatchPublishRequests); // channel-wide errors are not bisected
        Assert.Equal(5, server.AcceptedMessageCount);
    }

    [Fact]
    public async Task PerChannelMessageError_InAMultiMessageSpec_IsBisected()
    {
        await using var server = await StartServerAsync();
        server.Faults.FailNext(1, statusCode: 400, errorCode: 40013, channel: "x", target: FaultTarget.BatchPublish);
        using var publisher = new AblyRestPublisher(OptionsFor(server));
        var messages = Messages("x", 8);

        // The injected error is transient on the server, so the first half then passes: nothing is lost.
        var result = Assert.Single(await publisher.PublishAsync(new[] { new ChannelBatch("x", messages) }, CancellationToken.None));

        Assert.Equal(PublishStatus.Accepted, result.Status);
        Assert.Equal(Ids(messages), Ids(server.GetMessages("x")));
        Assert.Equal(3, server.GetStats().BatchPublishRequests); // 8 refused, then 4 + 4
    }

    [Fact]
    public async Task WrongKey_IsUnauthorized_ForEveryChannel_AndSendingStops()
    {
        await using var server = await StartServerAsync();
        var logger = new TestLogger();
        using var publisher = new AblyRestPublisher(
            OptionsFor(server, o =>
            {
                o.ApiKey = KeyName + ":wrong-secret";
                o.MaxChannelsPerRequest = 1;
            }),
            logger);
        var batches = Enumerable.Range(0, 12).Select(i => new ChannelBatch("u" + i, Messages("u" + i, 3))).ToList();

        var results = await publisher.PublishAsync(batches, CancellationToken.None);

        Assert.All(results, r =>
        {
            Assert.Equal(PublishStatus.Unauthorized, r.Status);
            Assert.Equal(0, r.AcceptedCount);
            Assert.Equal(40101, r.Error!.Code);
            Assert.Null(r.RejectedMessageIndex);
        });
        Assert.Equal(0, server.AcceptedMessageCount);
        Assert.True(server.GetStats().AuthFailures <= AblyRestPublisher.MaxConcurrentRequests, "stopped after the first refusals");
        Assert.Equal(1, logger.Count(3009));
        Assert.Equal(0, logger.Count(3008)); // nothing reported as rejected
    }

    [Fact]
    public async Task RequestLevelCapabilityError_IsUnauthorized_NotRejected()
    {
        await using var server = await StartServerAsync();
        server.Faults.FailNext(1, statusCode: 401, errorCode: 40160);
        using var publisher = new AblyRestPublisher(OptionsFor(server));

        var results = await publisher.PublishAsync(
            new[] { new ChannelBatch("a", Messages("a", 2)), new ChannelBatch("b", Messages("b", 2)) },
            CancellationToken.None);

        Assert.All(results, r => Assert.Equal(PublishStatus.Unauthorized, r.Status));
        Assert.All(results, r => Assert.Equal(40160, r.Error!.Code));
    }

    [Fact]
    public async Task PartialProgress_AcrossChunks_IsReportedAsAcceptedCount()
    {
        await using var server = await StartServerAsync();
        using var publisher = new AblyRestPublisher(OptionsFor(server, o => o.MaxMessagesPerChannelSpec = 5));
        var messages = Messages("p", 15);
        messages[12] = messages[12] with { Id = string.Empty };

        var result = Assert.Single(await publisher.PublishAsync(new[] { new ChannelBatch("p", messages) }, CancellationToken.None));

        Assert.Equal(PublishStatus.Rejected, result.Status);
        Assert.Equal(12, result.AcceptedCount);
        Assert.Equal(12, result.RejectedMessageIndex);
        Assert.Equal(Ids(messages.Take(12)), Ids(server.GetMessages("p")));
    }
}
