using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace Quickstart;

/// <summary>A subscriber over Ably's server-sent events endpoint (<c>/sse</c>), which the local endpoint speaks too.</summary>
internal sealed class SseSubscriber : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<ReceivedMessage> _messages = Channel.CreateUnbounded<ReceivedMessage>();
    private Task? _reading;

    public SseSubscriber(Uri baseAddress, string apiKey)
    {
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(apiKey)));
    }

    public ChannelReader<ReceivedMessage> Messages => _messages.Reader;

    /// <summary>Subscribes; returns once the stream is open, so no later message can be missed.</summary>
    public async Task SubscribeAsync(IEnumerable<string> channels, CancellationToken cancellationToken)
    {
        var query = "sse?v=1.2&channels=" + Uri.EscapeDataString(string.Join(',', channels));
        var request = new HttpRequestMessage(HttpMethod.Get, query);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Subscribing failed: HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        _reading = Task.Run(() => ReadAsync(response, stream, _stop.Token), CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_reading is not null)
        {
            try
            {
                await _reading;
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
            {
            }
        }

        _http.Dispose();
        _stop.Dispose();
    }

    private async Task ReadAsync(HttpResponseMessage response, Stream stream, CancellationToken cancellationToken)
    {
        using (response)
        using (var reader = new StreamReader(stream, Encoding.UTF8))
        {
            var data = new StringBuilder();
            var eventName = "message";
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length == 0)
                {
                    if (eventName == "message" && data.Length > 0)
                    {
                        await _messages.Writer.WriteAsync(Parse(data.ToString()), cancellationToken);
                    }

                    data.Clear();
                    eventName = "message";
                }
                else if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    data.Append(line.AsSpan(5).TrimStart(' '));
                }
                else if (line.StartsWith("event:", StringComparison.Ordinal))
                {
                    eventName = line[6..].Trim();
                }
            }
        }

        _messages.Writer.TryComplete();
    }

    /// <summary>An enveloped SSE message: <c>{"channel","name","data","encoding",…}</c>; JSON data arrives as a string.</summary>
    private static ReceivedMessage Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var data = root.GetProperty("data");
        return new ReceivedMessage(
            root.GetProperty("channel").GetString()!,
            root.TryGetProperty("name", out var name) ? name.GetString() : null,
            data.ValueKind == JsonValueKind.String ? data.GetString()! : data.GetRawText());
    }
}

/// <summary>One message as the subscriber received it; <see cref="Data"/> is JSON text.</summary>
internal sealed record ReceivedMessage(string Channel, string? Name, string Data);
