using System;
using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;

namespace AblyPgTyped.Benchmarks.Infrastructure;

/// <summary>
/// The endpoint's own ceiling, the same-run baseline of the drain scenarios: ready-made batch publish bodies shaped as
/// the connector's (same message size, headers and escaping), sent by a plain HTTP client with no database and no
/// connector. What the drain reaches can be read against it.
/// </summary>
internal static class EndpointCeiling
{
    /// <summary>Messages per second the endpoint accepts.</summary>
    /// <param name="endpoint">The endpoint.</param>
    /// <param name="messages">How many messages to send in all.</param>
    /// <param name="channelsPerRequest">1: one channel, its messages in specs of at most 64 KiB, one request at a time (as
    /// one busy channel is published). More: that many single-message specs on distinct channels per request.</param>
    /// <param name="concurrency">Requests in flight.</param>
    public static async Task<double> MeasureAsync(BenchEndpoint endpoint, int messages, int channelsPerRequest, int concurrency)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://{endpoint.Host}:{endpoint.Port}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(endpoint.ApiKey)));
        http.DefaultRequestHeaders.TryAddWithoutValidation("X-Ably-Version", "5");
        var run = Guid.NewGuid().ToString("N")[..8];

        // One busy channel: as many messages per request as fit Ably's 64 KiB per spec; otherwise one message per channel.
        var bodies = new System.Collections.Generic.List<(byte[] Body, int Messages)>();
        for (var total = 0; total < messages;)
        {
            var (body, count) = Body(run, total, messages - total, channelsPerRequest);
            bodies.Add((body, count));
            total += count;
        }

        var sent = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (true)
            {
                var next = System.Threading.Interlocked.Increment(ref sent) - 1;
                if (next >= bodies.Count)
                {
                    return;
                }

                using var content = new ByteArrayContent(bodies[next].Body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await http.PostAsync("/messages", content);
                response.EnsureSuccessStatusCode();
            }
        }));

        return bodies.Sum(b => b.Messages) / clock.Elapsed.TotalSeconds;
    }

    /// <summary>One request from message number <paramref name="first"/>: one spec of up to 64 KiB, or <paramref name="channels"/> one-message specs.</summary>
    private static (byte[] Body, int Messages) Body(string run, int first, int left, int channels)
    {
        const string Extras = "{\"headers\":{\"schema\":\"public\",\"table\":\"bench_captured\",\"operation\":\"insert\"}}";
        var buffer = new ArrayBufferWriter<byte>(96 * 1024);
        using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        writer.WriteStartArray();
        int count = 0, size = 0;
        while (count < left && (channels == 1 ? size < 65536 : count < channels))
        {
            var i = first + count;
            var data = string.Create(CultureInfo.InvariantCulture,
                $"{{\"schema\":\"public\",\"table\":\"bench_captured\",\"operation\":\"insert\",\"position\":\"{i}.0\",\"capturedAt\":\"2026-11-24T10:15:02.123456Z\",\"key\":{{\"id\":{i}}},\"new\":{{\"id\":{i},\"name\":\"name-{i}\",\"email\":\"user{i}@example.com\",\"created\":\"2026-11-24T10:15:02.123456+00:00\"}}}}");
            var messageSize = "insert".Length + data.Length + Extras.Length;
            if (channels == 1 && size + messageSize > 65536)
            {
                break;
            }

            if (count == 0 || channels > 1)
            {
                if (count > 0)
                {
                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }

                writer.WriteStartObject();
                writer.WriteStartArray("channels");
                writer.WriteStringValue(channels == 1 ? $"ceiling-{run}" : $"ceiling-{run}:{i}");
                writer.WriteEndArray();
                writer.WriteStartArray("messages");
            }

            writer.WriteStartObject();
            writer.WriteString("id", $"{run}-{i}-0");
            writer.WriteString("name", "insert");
            writer.WriteString("data", data);
            writer.WriteString("encoding", "json");
            writer.WritePropertyName("extras");
            writer.WriteRawValue(Extras);
            writer.WriteEndObject();
            size += messageSize;
            count++;
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.Flush();
        return (buffer.WrittenSpan.ToArray(), count);
    }
}
