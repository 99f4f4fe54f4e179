using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using AblyPgTyped.Publishing;
using Xunit;

namespace AblyPgTyped.Tests.Publishing;

/// <summary>Pure functions: message JSON, the TM6 size rule, batch response and error parsing (all response shapes).</summary>
public sealed class WireFormatTests
{
    [Fact]
    public void Message_IsWrittenWithIdNameJsonDataAndHeaders()
    {
        var message = new OutboundMessage("id-1", "insert", "{\"a\":\"<b> & é\"}", new Dictionary<string, string> { ["table"] = "orders" });

        var json = Write(message);

        Assert.Equal("{\"id\":\"id-1\",\"name\":\"insert\",\"data\":\"{\\\"a\\\":\\\"<b> & é\\\"}\",\"encoding\":\"json\",\"extras\":{\"headers\":{\"table\":\"orders\"}}}", json);
        using var parsed = JsonDocument.Parse(json);
        Assert.Equal(message.Data, parsed.RootElement.GetProperty("data").GetString());
    }

    [Fact]
    public void MessageSize_FollowsAblysRule()
    {
        Assert.Equal(4 + 7, AblyMessageSize.Of(new OutboundMessage("x", "name", "{\"a\":1}", null)));
        Assert.Equal(1 + 2, AblyMessageSize.Of(new OutboundMessage("x", "n", "é", null))); // data counts UTF-8 bytes
        var extras = "{\"headers\":{\"k\":\"v\"}}".Length;
        Assert.Equal(1 + 2 + extras, AblyMessageSize.Of(new OutboundMessage("x", "n", "{}", new Dictionary<string, string> { ["k"] = "v" })));
        Assert.Equal(1 + 2, AblyMessageSize.Of(new OutboundMessage("x", "n", "{}", new Dictionary<string, string>())));
    }

    [Fact]
    public void BatchResults_Protocol3Shape()
    {
        var body = """
            [{"successCount":1,"failureCount":0,"results":[{"channel":"a","messageId":"m","serials":["s1"]}]},
             {"successCount":0,"failureCount":1,"results":[{"channel":"b","error":{"code":40160,"statusCode":401,"message":"denied"}}]}]
            """;

        Assert.True(AblyResponses.TryParseBatchResults(Encoding.UTF8.GetBytes(body), null, out var results));

        Assert.Null(results["a"]);
        Assert.Equal(new AblyErrorInfo(40160, 401, "denied"), results["b"]);
    }

    [Fact]
    public void BatchResults_LegacyShapes()
    {
        Assert.True(AblyResponses.TryParseBatchResults(Encoding.UTF8.GetBytes("""[{"channel":"a","messageId":"m"},{"channel":"b","error":{"code":50001,"message":"x"}}]"""), null, out var flat));
        Assert.Null(flat["a"]);
        Assert.Equal(new AblyErrorInfo(50001, 500, "x"), flat["b"]);

        var partial = """{"error":{"code":40020,"statusCode":400,"message":"Batched response includes errors"},"batchResponse":[{"channel":"a","messageId":"m"},{"channel":"b","error":{"code":40010,"statusCode":400,"message":"bad name"}}]}""";
        Assert.True(AblyResponses.TryParseBatchResults(Encoding.UTF8.GetBytes(partial), null, out var legacy));
        Assert.Null(legacy["a"]);
        Assert.Equal(40010, legacy["b"]!.Code);

        Assert.True(AblyResponses.TryParseBatchResults(Encoding.UTF8.GetBytes("""{"successCount":1,"failureCount":0,"results":[{"channel":"only"}]}"""), null, out var single));
        Assert.Null(single["only"]);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"error\":{\"code\":40000}}")]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    public void BatchResults_UnrecognisedBodies_AreRefused(string body)
    {
        Assert.False(AblyResponses.TryParseBatchResults(Encoding.UTF8.GetBytes(body), null, out _));
    }

    [Fact]
    public void Errors_ComeFromTheBody_ThenTheHeaders_ThenTheStatus()
    {
        using var withBody = new HttpResponseMessage();
        withBody.Headers.TryAddWithoutValidation("X-Ably-ErrorCode", "40001");
        var fromBody = AblyResponses.ErrorFromResponse(400, "Bad Request", Encoding.UTF8.GetBytes("""{"error":{"code":40031,"statusCode":400,"message":"bad id"}}"""), withBody.Headers, null);
        Assert.Equal(new AblyErrorInfo(40031, 400, "bad id"), fromBody);

        using var headersOnly = new HttpResponseMessage();
        headersOnly.Headers.TryAddWithoutValidation("X-Ably-ErrorCode", "42922");
        headersOnly.Headers.TryAddWithoutValidation("X-Ably-ErrorMessage", "Flood protection");
        Assert.Equal(new AblyErrorInfo(42922, 429, "Flood protection"), AblyResponses.ErrorFromResponse(429, null, ReadOnlyMemory<byte>.Empty, headersOnly.Headers, null));
        Assert.Equal(42922, AblyResponses.ErrorFromResponse(429, null, Encoding.UTF8.GetBytes("<html>proxy</html>"), headersOnly.Headers, null).Code);

        using var bare = new HttpResponseMessage();
        var fromStatus = AblyResponses.ErrorFromResponse(502, "Bad Gateway", ReadOnlyMemory<byte>.Empty, bare.Headers, null);
        Assert.Equal(50200, fromStatus.Code);
        Assert.Equal(502, fromStatus.StatusCode);
        Assert.Contains("Bad Gateway", fromStatus.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(50000, 500, true)]
    [InlineData(50003, 503, true)]
    [InlineData(42913, 429, true)]
    [InlineData(42922, 429, true)]
    [InlineData(42910, 429, true)]
    [InlineData(42920, 429, false)]
    [InlineData(40010, 400, false)]
    [InlineData(40160, 401, false)]
    [InlineData(40009, 413, false)]
    public void Retryability_OfPerChannelErrors(int code, int status, bool retryable)
    {
        Assert.Equal(retryable, AblyErrorRules.IsRetryable(new AblyErrorInfo(code, status, "x")));
    }

    [Fact]
    public void Backoff_IsFullJitter_WithinTheCeiling()
    {
        for (var attempt = 0; attempt < 12; attempt++)
        {
            var ceiling = Math.Min(2000, 100 * Math.Pow(2, attempt));
            for (var i = 0; i < 50; i++)
            {
                Assert.InRange(AblyRestPublisher.Backoff(attempt).TotalMilliseconds, 0, ceiling);
            }
        }
    }

    private static string Write(OutboundMessage message)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, AblyWireFormat.WriterOptions))
        {
            AblyWireFormat.WriteMessage(writer, message);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
