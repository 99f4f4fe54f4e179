using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AblyPgTyped.LocalAbly;

/// <summary>
/// Live streams: Ably's <c>GET /sse</c> and <c>GET /event-stream</c> (SSE with <c>Accept: text/event-stream</c>,
/// else newline-delimited JSON), and the unauthenticated <c>GET /_local/watch</c> for people watching with curl.
/// Event ids are the messages' global sequence numbers, so <c>lastEvent</c> resumes from retained history.
/// </summary>
internal sealed class SseEndpoints
{
    private static readonly byte[] KeepAliveFrame = ":keepalive\n\n"u8.ToArray();
    private static readonly byte[] HeartbeatLine = "{\"event\":\"heartbeat\"}\n"u8.ToArray();
    private readonly ServerCore _core;

    public SseEndpoints(ServerCore core) => _core = core;

    /// <param name="context">The request.</param>
    /// <param name="alwaysSse">True for <c>/sse</c> and <c>/_local/watch</c>; <c>/event-stream</c> is SSE only when asked for.</param>
    /// <param name="channelsRequired">Ably requires <c>channels</c>; the watch endpoint defaults to every channel.</param>
    public async Task StreamAsync(HttpContext context, bool alwaysSse, bool channelsRequired)
    {
        var query = context.Request.Query;
        var sse = alwaysSse || context.Request.Headers.Accept.ToString().Contains("text/event-stream", StringComparison.OrdinalIgnoreCase);
        var enveloped = !string.Equals(query["enveloped"].ToString(), "false", StringComparison.OrdinalIgnoreCase);
        (var channels, var rewinds) = ParseChannels(query, channelsRequired);
        var lastEvent = ParseOptionalLong(query, "lastEvent");
        var recent = ParseOptionalInt(query, "recent");

        ServerCounters.Increment(ref _core.Counters.SseConnections);
        using var watcher = _core.Watchers.Add(channels, _core.Options.WatcherBufferSize);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _core.Stopping.Token);
        var token = stop.Token;
        try
        {
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = sse ? "text/event-stream" : "application/x-ndjson";
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";
            await response.StartAsync(token).ConfigureAwait(false);

            var output = response.BodyWriter;
            var buffer = new ArrayBufferWriter<byte>(1024);
            using var json = new Utf8JsonWriter(buffer, JsonOutput.WriterOptions);
            if (sse)
            {
                var described = channels is null ? "all channels" : "channels " + string.Join(",", channels);
                output.Write(Encoding.UTF8.GetBytes(": local Ably stream of " + described + "\n\n"));
            }

            // Replay after subscribing, and skip live copies of replayed messages, so nothing is lost or doubled.
            Dictionary<string, long>? replayedUpTo = null;
            foreach (var message in recent is { } count ? Recent(channels, count) : Replay(channels, rewinds, lastEvent))
            {
                WriteFrame(output, buffer, json, message, sse, enveloped);
                replayedUpTo ??= new Dictionary<string, long>(StringComparer.Ordinal);
                replayedUpTo[message.Channel] = message.GlobalSequence;
            }

            await output.FlushAsync(token).ConfigureAwait(false);

            var reader = watcher.Buffer.Reader;
            var waitForMessages = reader.WaitToReadAsync(token).AsTask();
            var keepAlive = Task.Delay(_core.Options.SseKeepAliveInterval, token);
            while (!token.IsCancellationRequested)
            {
                var completed = await Task.WhenAny(waitForMessages, keepAlive).ConfigureAwait(false);
                if (completed == keepAlive)
                {
                    if (token.IsCancellationRequested)
                    {
                        break;
                    }

                    output.Write(sse ? KeepAliveFrame : HeartbeatLine);
                    await output.FlushAsync(token).ConfigureAwait(false);
                    keepAlive = Task.Delay(_core.Options.SseKeepAliveInterval, token);
                    continue;
                }

                if (!await waitForMessages.ConfigureAwait(false))
                {
                    break; // server stopping
                }

                while (reader.TryRead(out var message))
                {
                    if (replayedUpTo is not null && replayedUpTo.TryGetValue(message.Channel, out var upTo) && message.GlobalSequence <= upTo)
                    {
                        continue;
                    }

                    WriteFrame(output, buffer, json, message, sse, enveloped);
                }

                await output.FlushAsync(token).ConfigureAwait(false);
                waitForMessages = reader.WaitToReadAsync(token).AsTask();
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Client went away or server stopping: a normal end of a stream.
        }
        finally
        {
            Interlocked.Decrement(ref _core.Counters.SseConnections);
        }
    }

    private List<ReceivedMessage> Replay(HashSet<string>? channels, Dictionary<string, int> rewinds, long? lastEvent)
    {
        var replay = new List<ReceivedMessage>();
        if (lastEvent is null && rewinds.Count == 0)
        {
            return replay;
        }

        var names = channels ?? (IEnumerable<string>)ChannelNamesOf(_core.Channels.All());
        foreach (var name in names)
        {
            var state = _core.Channels.TryGet(name);
            if (state is null)
            {
                continue;
            }

            var history = state.Snapshot();
            var from = 0;
            if (lastEvent is { } after)
            {
                while (from < history.Length && history[from].GlobalSequence <= after)
                {
                    from++;
                }
            }
            else if (rewinds.TryGetValue(name, out var count) || rewinds.TryGetValue("*", out count))
            {
                from = Math.Max(0, history.Length - count);
            }
            else
            {
                continue;
            }

            for (var i = from; i < history.Length; i++)
            {
                replay.Add(history[i]);
            }
        }

        replay.Sort(static (a, b) => a.GlobalSequence.CompareTo(b.GlobalSequence));
        return replay;
    }

    /// <summary>The last <paramref name="count"/> accepted messages across the channels (the live page's opening view).</summary>
    private List<ReceivedMessage> Recent(HashSet<string>? channels, int count)
    {
        var recent = new List<ReceivedMessage>(Math.Min(count, 1000));
        var log = _core.Recorded.ToArray();
        for (var i = log.Length - 1; i >= 0 && recent.Count < count; i--)
        {
            if (channels is null || channels.Contains(log[i].Channel))
            {
                recent.Add(log[i]);
            }
        }

        recent.Sort(static (a, b) => a.GlobalSequence.CompareTo(b.GlobalSequence));
        return recent;
    }

    private static List<string> ChannelNamesOf(List<ChannelState> states)
    {
        var names = new List<string>(states.Count);
        foreach (var state in states)
        {
            names.Add(state.Name);
        }

        return names;
    }

    private static void WriteFrame(PipeWriter output, ArrayBufferWriter<byte> buffer, Utf8JsonWriter json, ReceivedMessage message, bool sse, bool enveloped)
    {
        buffer.ResetWrittenCount();
        json.Reset(buffer);
        var id = message.GlobalSequence.ToString(CultureInfo.InvariantCulture);
        if (!sse)
        {
            json.WriteStartObject();
            json.WriteString("event"u8, "message");
            json.WriteString("id"u8, id);
            json.WritePropertyName("data"u8);
            message.WriteJson(json, includeChannel: true);
            json.WriteEndObject();
            json.Flush();
            output.Write(buffer.WrittenSpan);
            output.Write("\n"u8);
            return;
        }

        output.Write("id: "u8);
        output.Write(Encoding.ASCII.GetBytes(id));
        output.Write("\nevent: message\n"u8);
        if (enveloped)
        {
            message.WriteJson(json, includeChannel: true);
            json.Flush();
            output.Write("data: "u8);
            output.Write(buffer.WrittenSpan);
            output.Write("\n"u8);
        }
        else
        {
            // Raw payload: one data line per line of text, as SSE requires.
            var payload = message.DataString ?? message.DataJson ?? string.Empty;
            foreach (var line in payload.Split('\n'))
            {
                output.Write("data: "u8);
                output.Write(Encoding.UTF8.GetBytes(line.TrimEnd('\r')));
                output.Write("\n"u8);
            }
        }

        output.Write("\n"u8);
    }

    /// <summary>Reads <c>channels</c> (alias <c>channel</c>, split by <c>separator</c>, default comma); <c>*</c> means every channel.</summary>
    private static (HashSet<string>? Channels, Dictionary<string, int> Rewinds) ParseChannels(IQueryCollection query, bool required)
    {
        var rewinds = new Dictionary<string, int>(StringComparer.Ordinal);
        var defaultRewind = ParseOptionalInt(query, "rewind");
        var raw = query["channels"].ToString();
        if (raw.Length == 0)
        {
            raw = query["channel"].ToString();
        }

        if (raw.Length == 0)
        {
            if (required)
            {
                throw new AblyException(400, AblyErrors.BadRequest, "Missing channels parameter: pass ?channels=name1,name2 (or * for every channel)");
            }

            raw = "*";
        }

        var separator = query["separator"].ToString();
        if (separator.Length == 0)
        {
            separator = ",";
        }

        var channels = new HashSet<string>(StringComparer.Ordinal);
        var all = false;
        foreach (var entry in raw.Split(separator))
        {
            var name = entry;
            var rewind = defaultRewind;
            if (name.StartsWith("[?", StringComparison.Ordinal))
            {
                var close = name.IndexOf(']', StringComparison.Ordinal);
                if (close < 0)
                {
                    throw new AblyException(400, AblyErrors.InvalidChannelName, "Invalid channel qualifier in \"" + name + "\"");
                }

                foreach (var pair in name.Substring(2, close - 2).Split('&'))
                {
                    if (pair.StartsWith("rewind=", StringComparison.Ordinal) && int.TryParse(pair.AsSpan(7), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                    {
                        rewind = value;
                    }
                }

                name = name.Substring(close + 1);
            }

            if (name == "*")
            {
                all = true;
            }
            else
            {
                ChannelNames.EnsureValid(name);
                channels.Add(name);
            }

            if (rewind is { } count)
            {
                rewinds[name] = count;
            }
        }

        return (all ? null : channels, rewinds);
    }

    private static int? ParseOptionalInt(IQueryCollection query, string name)
    {
        var value = ParseOptionalLong(query, name);
        return value is null ? null : (int)Math.Min(value.Value, int.MaxValue);
    }

    private static long? ParseOptionalLong(IQueryCollection query, string name)
    {
        var values = query[name];
        if (StringValues.IsNullOrEmpty(values))
        {
            return null;
        }

        if (!long.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw new AblyException(400, AblyErrors.InvalidParameter, "Invalid " + name + " parameter: expected a non-negative integer");
        }

        return value;
    }
}
