using System;
using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Xunit;

namespace AblyPgTyped.LocalAbly.Tests;

/// <summary>A raw realtime client: a WebSocket speaking Ably's JSON ProtocolMessages, for protocol-level tests.</summary>
internal sealed class RealtimeTestClient : IAsyncDisposable
{
    public const int Heartbeat = 0, Ack = 1, Nack = 2, Connected = 4, Disconnected = 6, Close = 7, Closed = 8, Error = 9;
    public const int Attach = 10, Attached = 11, Detach = 12, Detached = 13, Presence = 14, Message = 15;
    public const long HasBacklog = 1 << 1, Resumed = 1 << 2, PublishMode = 1 << 17, SubscribeMode = 1 << 18;

    private readonly ClientWebSocket _socket;
    private readonly Channel<JsonElement?> _received = Channel.CreateUnbounded<JsonElement?>();
    private readonly Task _reading;

    private RealtimeTestClient(ClientWebSocket socket)
    {
        _socket = socket;
        _reading = ReadLoopAsync();
    }

    public WebSocketState State => _socket.State;

    public static async Task<RealtimeTestClient> ConnectAsync(LocalAblyServer server, string query)
    {
        var socket = new ClientWebSocket();
        var uri = new Uri("ws://127.0.0.1:" + server.Port + "/?" + query);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await socket.ConnectAsync(uri, timeout.Token);
        return new RealtimeTestClient(socket);
    }

    public static string KeyQuery(string key = TestServer.Key) => "key=" + Uri.EscapeDataString(key) + "&format=json&v=6&heartbeats=true";

    /// <summary>Connects with the test key and reads CONNECTED.</summary>
    public static async Task<(RealtimeTestClient Client, JsonElement Connected)> ConnectedAsync(LocalAblyServer server, string extraQuery = "")
    {
        var client = await ConnectAsync(server, KeyQuery() + extraQuery);
        var connected = await client.ExpectAsync(Connected);
        return (client, connected);
    }

    public Task SendAsync(string json) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    /// <summary>The next ProtocolMessage (heartbeats included), or null when the server closed the socket.</summary>
    public async Task<JsonElement?> ReceiveAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            return await _received.Reader.ReadAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("No ProtocolMessage within " + timeout);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>Binary frames (the msgpack refusal) as raw bytes.</summary>
    public List<byte[]> BinaryFrames { get; } = new();

    private async Task ReadLoopAsync()
    {
        var buffer = new ArrayBufferWriter<byte>();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer.GetMemory(16 * 1024), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                buffer.Advance(result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    lock (BinaryFrames)
                    {
                        BinaryFrames.Add(buffer.WrittenSpan.ToArray());
                    }
                }
                else
                {
                    _received.Writer.TryWrite(JsonDocument.Parse(buffer.WrittenMemory).RootElement.Clone());
                }

                buffer.ResetWrittenCount();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Dropped.
        }

        _received.Writer.TryComplete();
    }

    /// <summary>Reads until a message with <paramref name="action"/> (skipping heartbeats); fails on any other action.</summary>
    public async Task<JsonElement> ExpectAsync(int action, double seconds = 10)
    {
        while (true)
        {
            var message = await ReceiveAsync(TimeSpan.FromSeconds(seconds)) ?? throw new Xunit.Sdk.XunitException("The server closed the socket while action " + action + " was expected");
            var got = message.GetProperty("action").GetInt32();
            if (got == Heartbeat && action != Heartbeat)
            {
                continue;
            }

            Assert.True(got == action, "expected action " + action + ", got " + message.GetRawText());
            return message;
        }
    }

    /// <summary>Reads MESSAGE ProtocolMessages until <paramref name="count"/> messages arrived; returns them flattened.</summary>
    public async Task<List<JsonElement>> ReceiveMessagesAsync(int count, double seconds = 10)
    {
        var messages = new List<JsonElement>();
        while (messages.Count < count)
        {
            var protocolMessage = await ExpectAsync(Message, seconds);
            messages.AddRange(protocolMessage.GetProperty("messages").EnumerateArray());
        }

        Assert.Equal(count, messages.Count);
        return messages;
    }

    /// <summary>Asserts nothing but heartbeats arrives for <paramref name="quiet"/>.</summary>
    public async Task ExpectQuietAsync(TimeSpan quiet)
    {
        var until = DateTime.UtcNow + quiet;
        while (DateTime.UtcNow < until)
        {
            JsonElement? message;
            try
            {
                message = await ReceiveAsync(until - DateTime.UtcNow);
            }
            catch (TimeoutException)
            {
                return;
            }

            Assert.True(message is { } m && m.GetProperty("action").GetInt32() == Heartbeat, "expected silence, got " + message?.GetRawText());
        }
    }

    /// <summary>Waits for the server to close the socket (after skipping any remaining messages).</summary>
    public async Task ExpectClosedAsync(double seconds = 10)
    {
        while (await ReceiveAsync(TimeSpan.FromSeconds(seconds)) is not null)
        {
        }
    }

    public static string[] Datas(IEnumerable<JsonElement> messages) => messages.Select(m => m.GetProperty("data").GetString()!).ToArray();

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        await _reading;
        _socket.Dispose();
    }
}
