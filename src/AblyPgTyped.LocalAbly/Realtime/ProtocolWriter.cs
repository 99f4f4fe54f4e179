using System;
using System.Buffers;
using System.Collections.Generic;
using System.Text.Json;

namespace AblyPgTyped.LocalAbly;

/// <summary>The connection details a CONNECTED message carries (Ably spec CD2).</summary>
internal readonly record struct ConnectionDetails(
    string ConnectionKey,
    string? ClientId,
    TimeSpan ConnectionStateTtl,
    TimeSpan MaxIdleInterval,
    int MaxMessageSize);

/// <summary>Writes the server's ProtocolMessages as JSON text frames.</summary>
internal sealed class ProtocolWriter
{
    /// <summary>Ably's default limit for one WebSocket frame (spec TO3l9).</summary>
    public const int MaxFrameSize = 524_288;

    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Utf8JsonWriter _json;

    public ProtocolWriter() => _json = new Utf8JsonWriter(_buffer, JsonOutput.WriterOptions);

    public ReadOnlyMemory<byte> Connected(string connectionId, in ConnectionDetails details, AblyException? error)
    {
        var json = Begin(ProtocolAction.Connected);
        json.WriteString("connectionId"u8, connectionId);
        json.WriteStartObject("connectionDetails"u8);
        json.WriteString("connectionKey"u8, details.ConnectionKey);
        if (details.ClientId is not null)
        {
            json.WriteString("clientId"u8, details.ClientId);
        }

        json.WriteNumber("connectionStateTtl"u8, (long)details.ConnectionStateTtl.TotalMilliseconds);
        json.WriteNumber("maxIdleInterval"u8, (long)details.MaxIdleInterval.TotalMilliseconds);
        json.WriteNumber("maxMessageSize"u8, details.MaxMessageSize);
        json.WriteNumber("maxFrameSize"u8, MaxFrameSize);
        json.WriteNumber("maxInboundRate"u8, 50);
        json.WriteString("serverId"u8, "local-ably");
        json.WriteString("siteCode"u8, "local");
        json.WriteEndObject();
        WriteError(json, error);
        return End();
    }

    public ReadOnlyMemory<byte> Attached(string channel, long flags, string channelSerial, IReadOnlyDictionary<string, string>? parameters, AblyException? error)
    {
        var json = Begin(ProtocolAction.Attached);
        json.WriteString("channel"u8, channel);
        json.WriteNumber("flags"u8, flags);
        json.WriteString("channelSerial"u8, channelSerial);
        if (parameters is { Count: > 0 })
        {
            json.WriteStartObject("params"u8);
            foreach (var pair in parameters)
            {
                json.WriteString(pair.Key, pair.Value);
            }

            json.WriteEndObject();
        }

        WriteError(json, error);
        return End();
    }

    public ReadOnlyMemory<byte> Detached(string channel, AblyException? error = null)
    {
        var json = Begin(ProtocolAction.Detached);
        json.WriteString("channel"u8, channel);
        WriteError(json, error);
        return End();
    }

    /// <summary>One MESSAGE with the given messages of one channel; <paramref name="channelSerial"/> is the position after the last.</summary>
    public ReadOnlyMemory<byte> Message(string channel, string channelSerial, IReadOnlyList<ReceivedMessage> messages)
    {
        var json = Begin(ProtocolAction.Message);
        json.WriteString("channel"u8, channel);
        json.WriteString("channelSerial"u8, channelSerial);
        json.WriteNumber("timestamp"u8, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        json.WriteStartArray("messages"u8);
        foreach (var message in messages)
        {
            message.WriteJson(json, includeChannel: false);
        }

        json.WriteEndArray();
        return End();
    }

    public ReadOnlyMemory<byte> Ack(long msgSerial, string?[]? serials)
    {
        var json = Begin(ProtocolAction.Ack);
        json.WriteNumber("msgSerial"u8, msgSerial);
        json.WriteNumber("count"u8, 1);
        if (serials is not null)
        {
            json.WriteStartArray("res"u8);
            json.WriteStartObject();
            json.WriteStartArray("serials"u8);
            foreach (var serial in serials)
            {
                if (serial is null)
                {
                    json.WriteNullValue();
                }
                else
                {
                    json.WriteStringValue(serial);
                }
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
        }

        return End();
    }

    public ReadOnlyMemory<byte> Nack(long msgSerial, AblyException error)
    {
        var json = Begin(ProtocolAction.Nack);
        json.WriteNumber("msgSerial"u8, msgSerial);
        json.WriteNumber("count"u8, 1);
        WriteError(json, error);
        return End();
    }

    /// <summary>An ERROR: for a channel it fails that channel; without one it fails the connection.</summary>
    public ReadOnlyMemory<byte> Error(AblyException error, string? channel = null)
    {
        var json = Begin(ProtocolAction.Error);
        if (channel is not null)
        {
            json.WriteString("channel"u8, channel);
        }

        WriteError(json, error);
        return End();
    }

    public ReadOnlyMemory<byte> Heartbeat(string? id)
    {
        var json = Begin(ProtocolAction.Heartbeat);
        if (id is not null)
        {
            json.WriteString("id"u8, id);
        }

        return End();
    }

    public ReadOnlyMemory<byte> Closed() => Simple(ProtocolAction.Closed, null);

    public ReadOnlyMemory<byte> Disconnected(AblyException error) => Simple(ProtocolAction.Disconnected, error);

    private ReadOnlyMemory<byte> Simple(ProtocolAction action, AblyException? error)
    {
        var json = Begin(action);
        WriteError(json, error);
        return End();
    }

    private Utf8JsonWriter Begin(ProtocolAction action)
    {
        _buffer.ResetWrittenCount();
        _json.Reset(_buffer);
        _json.WriteStartObject();
        _json.WriteNumber("action"u8, (int)action);
        return _json;
    }

    /// <summary>The frame, valid until the next call on this writer.</summary>
    private ReadOnlyMemory<byte> End()
    {
        _json.WriteEndObject();
        _json.Flush();
        return _buffer.WrittenMemory;
    }

    private static void WriteError(Utf8JsonWriter json, AblyException? error)
    {
        if (error is not null)
        {
            json.WritePropertyName("error"u8);
            AblyErrors.WriteErrorInfo(json, error.Code, error.StatusCode, error.Message);
        }
    }
}
