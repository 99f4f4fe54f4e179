using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Publishing;
using Xunit;
using static AblyPgTyped.Tests.Publishing.PublishingTestKit;

namespace AblyPgTyped.Tests.Publishing;

/// <summary>Happy paths against a real local Ably endpoint: wire form, ordering, splitting, idempotency.</summary>
public sealed class PublishBasicsTests
{
    [Fact]
    public async Task ManyChannelsInOneCall_AllAccepted_InOrderPerChannel_InOneRequest()
    {
        await using var server = await StartServerAsync();
        var logger = new TestLogger();
        using var publisher = new AblyRestPublisher(OptionsFor(server), logger);
        var batches = Enumerable.Range(0, 20).Select(c => new ChannelBatch("orders:" + c, Messages("c" + c, 50))).ToList();

        var results = await publisher.PublishAsync(batches, CancellationToken.None);

        Assert.Equal(batches.Select(b => b.Channel), results.Select(r => r.Channel));
        Assert.All(results, r =>
        {
            Assert.Equal(PublishStatus.Accepted, r.Status);
            Assert.Equal(50, r.AcceptedCount);
            Assert.Null(r.Error);
        });
        foreach (var batch in batches)
        {
            Assert.Equal(Ids(batch.Messages), Ids(server.GetMessages(batch.Channel)));
        }

        Assert.Equal(1, server.GetStats().BatchPublishRequests);
        Assert.Equal(0, server.GetStats().ChannelPublishRequests);
        Assert.True(logger.Count(3014) >= 1, "trace event for the request");
    }

    [Fact]
    public async Task WireForm_DataIsJsonStringWithEncoding_HeadersInExtras_SizeMatchesServer()
    {
        await using var server = await StartServerAsync();
        using var publisher = new AblyRestPublisher(OptionsFor(server));
        var headers = new Dictionary<string, string> { ["table"] = "orders", ["op"] = "insert", ["quote\"d"] = "é ü \u2603 \"x\" \\ \n" };
        var messages = new List<OutboundMessage>
        {
            new("m1", "insert", "{\"id\":1,\"name\":\"Zoë \u2603 \\\"q\\\"\",\"tags\":[\"a\",\"b\"]}", headers),
            new("m2", "update", "[1,2,3]", null),
            new("m3", "d\u00e9l\u00e8te", "\"just a string\"", new Dictionary<string, string>()),
            new("m4", "text", "plain text, not JSON", null) { DataIsJson = false },
        };

        var results = await publisher.PublishAsync(new[] { new ChannelBatch("wire", messages) }, CancellationToken.None);

        Assert.Equal(PublishStatus.Accepted, Assert.Single(results).Status);
        var received = server.GetMessages("wire");
        Assert.Equal(new[] { "m1", "m2", "m3", "m4" }, Ids(received));
        for (var i = 0; i < messages.Count; i++)
        {
            Assert.Equal(messages[i].Name, received[i].Name);
            Assert.Equal(messages[i].Data, received[i].DataString);
            Assert.Equal(AblyMessageSize.Of(messages[i]), received[i].Size);
        }

        Assert.Equal("json", received[0].Encoding);
        Assert.Null(received[3].Encoding);
        Assert.Equal(1, received[0].DecodeDataAsJson()!.Value.GetProperty("id").GetInt32());
        using (var extras = JsonDocument.Parse(received[0].ExtrasJson!))
        {
            var h = extras.RootElement.GetProperty("headers");
            Assert.Equal("orders", h.GetProperty("table").GetString());
            Assert.Equal("é ü \u2603 \"x\" \\ \n", h.GetProperty("quote\"d").GetString());
        }

        Assert.Null(received[1].ExtrasJson);
        Assert.Null(received[2].ExtrasJson); // empty headers are not sent
    }

    [Fact]
    public async Task SplitsByMaxChannelsPerRequest()
    {
        await using var server = await StartServerAsync();
        using var publisher = new AblyRestPublisher(OptionsFor(server, o => o.MaxChannelsPerRequest = 3));
        var batches = Enumerable.Range(0, 10).Select(c => new ChannelBatch("ch" + c, Messages("ch" + c, 5))).ToList();

        var results = await publisher.PublishAsync(batches, CancellationToken.None);

        Assert.All(results, r => Assert.Equal(PublishStatus.Accepted, r.Status));
        Assert.Equal(4, server.GetStats().BatchPublishRequests);
        Assert.Equal(50, server.AcceptedMessageCount);
    }

    [Fact]
    public async Task SplitsByMaxRequestBytes_ChunksOfOneChannelGoInOrder()
    {
        await using var server = await StartServerAsync();
        using var publisher = new AblyRestPublisher(OptionsFor(server, o => o.MaxRequestBytes = 4096));
        var big = Messages("big", 200, padding: 100); // ~150 bytes each: ~30 KB in ≥ 8 requests
        var small = Messages("small", 3);

        var results = await publisher.PublishAsync(
            new[] { new ChannelBatch("big", big), new ChannelBatch("small", small) },
            CancellationToken.None);

        Assert.All(results, r => Assert.Equal(PublishStatus.Accepted, r.Status));
        Assert.Equal(Ids(big), Ids(server.GetMessages("big")));
        Assert.Equal(Ids(small), Ids(server.GetMessages("small")));
        Assert.True(server.GetStats().BatchPublishRequests >= 8, "requests: " + server.GetStats().BatchPublishRequests);
        Assert.Equal(0, server.GetStats().DuplicateMessages);
    }

    [Fact]
    public async Task SplitsByMaxMessagesPerChannelSpec_AndByCombinedSize()
    {
        await using var server = await StartServerAsync();
        using var publisher = new AblyRestPublisher(OptionsFor(server, o => o.MaxMessagesPerChannelSpec = 7));
        var counted = Messages("n", 30);
        var heavy = Messages("h", 40, padding: 10_000); // ~10 KB each: only 6 fit in 64 KiB per spec

        var results = await publisher.PublishAsync(
            new[] { new ChannelBatch("counted", counted), new ChannelBatch("heavy", heavy) },
            CancellationToken.None);

        Assert.All(results, r => Assert.Equal(PublishStatus.Accepted, r.Status));
        Assert.Equal(Ids(counted), Ids(server.GetMessages("counted")));
        Assert.Equal(Ids(heavy), Ids(server.GetMessages("heavy")));
        Assert.Equal(7, server.GetStats().Channels["heavy"].PublishRequests); // by size: 6 per spec → 7 specs
        Assert.Equal(5, server.GetStats().Channels["counted"].PublishRequests);
    }

    [Fact]
    public async Task RepublishingTheSameIds_SubscribersSeeEachMessageOnce()
    {
        await using var server = await StartServerAsync();
        var seen = new ConcurrentQueue<string>();
        server.MessagesAccepted += messages =>
        {
            foreach (var m in messages)
            {
                seen.Enqueue(m.Channel + "/" + m.Id);
            }
        };
        using var publisher = new AblyRestPublisher(OptionsFor(server));
        var batches = new[] { new ChannelBatch("a", Messages("a", 10)), new ChannelBatch("b", Messages("b", 10)) };

        var first = await publisher.PublishAsync(batches, CancellationToken.None);
        var second = await publisher.PublishAsync(batches, CancellationToken.None);

        Assert.All(first.Concat(second), r => Assert.Equal(PublishStatus.Accepted, r.Status));
        Assert.Equal(20, seen.Count);
        Assert.Equal(20, seen.Distinct().Count());
        Assert.Equal(20, server.GetStats().DuplicateMessages);
        Assert.Equal(Ids(batches[0].Messages), Ids(server.GetMessages("a")));
    }

    [Fact]
    public async Task EmptyInputs_AndCallerContractViolations()
    {
        await using var server = await StartServerAsync();
        using var publisher = new AblyRestPublisher(OptionsFor(server));

        Assert.Empty(await publisher.PublishAsync(Array.Empty<ChannelBatch>(), CancellationToken.None));
        var empty = Assert.Single(await publisher.PublishAsync(new[] { new ChannelBatch("none", Array.Empty<OutboundMessage>()) }, CancellationToken.None));
        Assert.Equal(PublishStatus.Accepted, empty.Status);
        Assert.Equal(0, empty.AcceptedCount);
        await Assert.ThrowsAsync<ArgumentException>(() => publisher.PublishAsync(
            new[] { new ChannelBatch("dup", Messages("x", 1)), new ChannelBatch("dup", Messages("y", 1)) },
            CancellationToken.None));
        Assert.Equal(0, server.GetStats().PublishRequests);
    }

    [Fact]
    public async Task ChannelNamesNeedingEscapes_ArePublished()
    {
        await using var server = await StartServerAsync();
        using var publisher = new AblyRestPublisher(OptionsFor(server));
        string[] names = { "ns:with/slash", "space and \"quote\"", "uni\u2603code", "a\\b" };

        var results = await publisher.PublishAsync(names.Select(n => new ChannelBatch(n, Messages(n, 2))).ToList(), CancellationToken.None);

        Assert.All(results, r => Assert.Equal(PublishStatus.Accepted, r.Status));
        foreach (var name in names)
        {
            Assert.Equal(2, server.GetMessages(name).Count);
        }
    }
}
