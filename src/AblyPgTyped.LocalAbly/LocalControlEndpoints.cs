using System;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AblyPgTyped.LocalAbly;

/// <summary>
/// Test and observation endpoints under <c>/_local/</c> (no auth, loopback only):
/// stats, limits, recent messages, fault injection, reset, the watch stream and a small live page.
/// </summary>
internal sealed class LocalControlEndpoints
{
    private readonly ServerCore _core;
    private readonly SseEndpoints _sse;
    private readonly ServedFolders _folders;

    public LocalControlEndpoints(ServerCore core, SseEndpoints sse)
    {
        _core = core;
        _sse = sse;
        _folders = new ServedFolders(core.Options);
    }

    /// <param name="context">The request.</param>
    /// <param name="path">Decoded path after <c>/_local</c>, e.g. <c>/stats</c>.</param>
    public Task HandleAsync(HttpContext context, string path)
    {
        var remote = context.Connection.RemoteIpAddress;
        if (remote is not null && !IPAddress.IsLoopback(remote))
        {
            throw new AblyException(403, 40300, "The /_local endpoints are only available from the loopback interface");
        }

        var method = context.Request.Method;
        var route = path.TrimEnd('/');
        switch (route)
        {
            case "":
                RequireMethod(method, "GET");
                return LivePage.WriteAsync(context);
            case "/stats":
                RequireMethod(method, "GET");
                return WriteStatsAsync(context);
            case "/limits":
                RequireMethod(method, "GET");
                return WriteLimitsAsync(context);
            case "/messages":
                RequireMethod(method, "GET");
                return WriteMessagesAsync(context);
            case "/watch":
                RequireMethod(method, "GET");
                return _sse.StreamAsync(context, alwaysSse: true, channelsRequired: false);
            case "/token":
                RequireMethod(method, "GET");
                return WriteTokenAsync(context);
            case "/realtime/disconnect":
                RequireMethod(method, "POST");
                return WriteDisconnectAsync(context);
            case "/reset":
                RequireMethod(method, "POST");
                _core.Reset();
                return WriteOkAsync(context, "reset");
            case "/faults":
                if (HttpMethods.IsDelete(method))
                {
                    _core.Faults.Clear();
                    return WriteFaultsAsync(context, StatusCodes.Status200OK);
                }

                RequireMethod(method, "GET");
                return WriteFaultsAsync(context, StatusCodes.Status200OK);
            default:
                if (route.StartsWith("/faults/", StringComparison.Ordinal))
                {
                    return HandleFaultAsync(context, method, route.Substring("/faults/".Length));
                }

                if (_folders.TryServe(context, path, out var serving))
                {
                    return serving;
                }

                throw new AblyException(404, AblyErrors.NotFound, "Unknown local endpoint /_local" + path + "; see GET /_local/ for the list");
        }
    }

    private Task HandleFaultAsync(HttpContext context, string method, string action)
    {
        var query = context.Request.Query;
        if (HttpMethods.IsDelete(method) && int.TryParse(action, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            if (!_core.Faults.Remove(id))
            {
                throw new AblyException(404, AblyErrors.NotFound, "No active fault #" + id);
            }

            return WriteFaultsAsync(context, StatusCodes.Status200OK);
        }

        RequireMethod(method, "POST");
        try
        {
            return AddFault(context, method, action, query);
        }
        catch (ArgumentException ex)
        {
            throw new AblyException(400, AblyErrors.InvalidParameter, "Invalid fault: " + ex.Message);
        }
    }

    private Task AddFault(HttpContext context, string method, string action, IQueryCollection query)
    {
        var channel = NullIfEmpty(query["channel"]);
        var target = ParseTarget(query["target"]);
        var count = (int)(ReadLong(query, "count") ?? -1);
        switch (action)
        {
            case "fail":
                var status = (int)(ReadLong(query, "status") ?? 500);
                var code = (int)(ReadLong(query, "code") ?? DefaultCodeFor(status));
                var retryAfter = ReadLong(query, "retryAfter");
                _core.Faults.FailNext(count, status, code, NullIfEmpty(query["message"]), retryAfter is { } seconds ? TimeSpan.FromSeconds(seconds) : null, channel, target);
                break;
            case "drop":
                _core.Faults.DropNext(count, channel, target);
                break;
            case "latency":
                var ms = ReadLong(query, "ms") ?? throw new AblyException(400, AblyErrors.InvalidParameter, "latency needs ?ms=<milliseconds>");
                _core.Faults.AddLatency(TimeSpan.FromMilliseconds(ms), count, channel, target);
                break;
            case "ratelimit":
                var perSecond = query["perSecond"].ToString();
                double rate = 0;
                if (string.Equals(perSecond, "unlimited", StringComparison.OrdinalIgnoreCase))
                {
                    rate = double.PositiveInfinity;
                }
                else if (perSecond.Length > 0 && (!double.TryParse(perSecond, NumberStyles.Float, CultureInfo.InvariantCulture, out rate) || !(rate >= 0)))
                {
                    throw new AblyException(400, AblyErrors.InvalidParameter, "ratelimit needs ?perSecond=<messages per second per channel> (\"unlimited\" removes the per-channel limit; 0 or absent removes the override, so the plan's rate applies)");
                }

                _core.Faults.SetRateLimit(rate > 0 ? rate : null);
                break;
            case "clear":
                _core.Faults.Clear();
                break;
            default:
                throw new AblyException(404, AblyErrors.NotFound, "Unknown fault \"" + action + "\": use fail, drop, latency, ratelimit or clear");
        }

        return WriteFaultsAsync(context, HttpMethods.IsPost(method) && action != "clear" ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    private static int DefaultCodeFor(int status) => status switch
    {
        400 => 40000,
        401 => 40101,
        403 => 40300,
        404 => 40400,
        429 => 42913,
        503 => 50003,
        _ => status * 100,
    };

    private async Task WriteStatsAsync(HttpContext context)
    {
        var stats = _core.GetStats();
        var writer = JsonOutput.Begin(context, StatusCodes.Status200OK);
        writer.WriteStartObject();
        writer.WriteString("startedAt"u8, stats.StartedAt);
        writer.WriteNumber("publishRequests"u8, stats.PublishRequests);
        writer.WriteNumber("channelPublishRequests"u8, stats.ChannelPublishRequests);
        writer.WriteNumber("batchPublishRequests"u8, stats.BatchPublishRequests);
        writer.WriteNumber("acceptedMessages"u8, stats.AcceptedMessages);
        writer.WriteNumber("duplicateMessages"u8, stats.DuplicateMessages);
        writer.WriteNumber("rejectedRequests"u8, stats.RejectedRequests);
        writer.WriteNumber("rejectedMessages"u8, stats.RejectedMessages);
        writer.WriteNumber("batchChannelFailures"u8, stats.BatchChannelFailures);
        writer.WriteNumber("injectedFailures"u8, stats.InjectedFailures);
        writer.WriteNumber("droppedConnections"u8, stats.DroppedConnections);
        writer.WriteNumber("delayedRequests"u8, stats.DelayedRequests);
        writer.WriteNumber("historyRequests"u8, stats.HistoryRequests);
        writer.WriteNumber("authFailures"u8, stats.AuthFailures);
        writer.WriteNumber("openSseConnections"u8, stats.OpenSseConnections);
        writer.WriteNumber("openRealtimeConnections"u8, stats.OpenRealtimeConnections);
        writer.WriteNumber("realtimeConnectionsAccepted"u8, stats.RealtimeConnectionsAccepted);
        writer.WriteNumber("realtimeMessagesSent"u8, stats.RealtimeMessagesSent);
        writer.WriteNumber("rateLimitedRequests"u8, stats.RateLimitedRequests);
        writer.WriteNumber("channelRateLimited"u8, stats.ChannelRateLimited);
        writer.WriteNumber("accountMessageRateLimited"u8, stats.AccountMessageRateLimited);
        writer.WriteNumber("accountRequestRateLimited"u8, stats.AccountRequestRateLimited);
        writer.WritePropertyName("limits"u8);
        WriteLimits(writer);
        writer.WriteStartObject("channels"u8);
        foreach (var pair in stats.Channels)
        {
            var channel = pair.Value;
            writer.WriteStartObject(pair.Key);
            writer.WriteNumber("publishRequests"u8, channel.PublishRequests);
            writer.WriteNumber("acceptedMessages"u8, channel.AcceptedMessages);
            writer.WriteNumber("duplicateMessages"u8, channel.DuplicateMessages);
            writer.WriteNumber("rejectedMessages"u8, channel.RejectedMessages);
            writer.WriteNumber("retainedMessages"u8, channel.RetainedMessages);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
        await JsonOutput.EndAsync(context, writer).ConfigureAwait(false);
    }

    /// <summary><c>GET /_local/limits</c>: the plan and the limits in force (null rate = unlimited).</summary>
    private async Task WriteLimitsAsync(HttpContext context)
    {
        var writer = JsonOutput.Begin(context, StatusCodes.Status200OK);
        WriteLimits(writer);
        await JsonOutput.EndAsync(context, writer).ConfigureAwait(false);
    }

    private void WriteLimits(Utf8JsonWriter writer)
    {
        var limits = _core.Rates.Limits;
        writer.WriteStartObject();
        writer.WriteString("plan"u8, _core.Options.Plan.ToString().ToLowerInvariant());
        WriteRate(writer, "channelMessagesPerSecond"u8, limits.ChannelMessagesPerSecond);
        WriteRate(writer, "accountMessagesPerSecond"u8, limits.AccountMessagesPerSecond);
        WriteRate(writer, "accountRequestsPerSecond"u8, limits.AccountRequestsPerSecond);
        writer.WriteNumber("maxMessageSize"u8, limits.MaxMessageSize);
        writer.WriteEndObject();
    }

    private static void WriteRate(Utf8JsonWriter writer, ReadOnlySpan<byte> name, double? rate)
    {
        if (rate is { } value)
        {
            writer.WriteNumber(name, value);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    /// <summary><c>GET /_local/messages?channel=&amp;limit=</c>: the most recent accepted messages with receipt times, oldest first.</summary>
    private async Task WriteMessagesAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var channel = NullIfEmpty(query["channel"]);
        var limit = (int)Math.Min(ReadLong(query, "limit") ?? 1000, int.MaxValue);
        var messages = channel is null
            ? _core.Recorded.ToArray()
            : _core.Channels.TryGet(channel)?.Snapshot() ?? Array.Empty<ReceivedMessage>();
        var from = Math.Max(0, messages.Length - limit);

        var writer = JsonOutput.Begin(context, StatusCodes.Status200OK);
        writer.WriteStartArray();
        for (var i = from; i < messages.Length; i++)
        {
            var message = messages[i];
            writer.WriteStartObject();
            writer.WriteNumber("receivedAtUnixMs"u8, message.ReceivedAtUnixMs);
            writer.WriteString("receivedAt"u8, message.ReceivedAt);
            writer.WriteNumber("globalSequence"u8, message.GlobalSequence);
            writer.WriteString("kind"u8, message.Kind.ToString().ToLowerInvariant());
            writer.WritePropertyName("message"u8);
            message.WriteJson(writer, includeChannel: true);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        await JsonOutput.EndAsync(context, writer).ConfigureAwait(false);
    }

    private async Task WriteFaultsAsync(HttpContext context, int status)
    {
        var writer = JsonOutput.Begin(context, status);
        writer.WriteStartObject();
        // The run-time override only (null = none); infinity, "no limit", has no JSON number.
        if (_core.Faults.RateLimitPerChannel is { } rate)
        {
            if (double.IsPositiveInfinity(rate))
            {
                writer.WriteString("rateLimitPerChannel"u8, "unlimited");
            }
            else
            {
                writer.WriteNumber("rateLimitPerChannel"u8, rate);
            }
        }
        else
        {
            writer.WriteNull("rateLimitPerChannel"u8);
        }

        writer.WriteStartArray("faults"u8);
        foreach (var rule in _core.Faults.Rules)
        {
            writer.WriteStartObject();
            writer.WriteNumber("id"u8, rule.Id);
            writer.WriteString("kind"u8, rule.Kind.ToString().ToLowerInvariant());
            writer.WriteString("target"u8, rule.Target.ToString());
            if (rule.Channel is not null)
            {
                writer.WriteString("channel"u8, rule.Channel);
            }

            writer.WriteNumber("remaining"u8, rule.Remaining);
            writer.WriteNumber("timesApplied"u8, rule.TimesApplied);
            if (rule.Kind == FaultKind.Fail)
            {
                writer.WriteNumber("status"u8, rule.StatusCode);
                writer.WriteNumber("code"u8, rule.ErrorCode);
                writer.WriteString("message"u8, rule.Message);
                if (rule.RetryAfter is { } retryAfter)
                {
                    writer.WriteNumber("retryAfterSeconds"u8, retryAfter.TotalSeconds);
                }
            }
            else if (rule.Kind == FaultKind.Latency)
            {
                writer.WriteNumber("latencyMs"u8, rule.Latency.TotalMilliseconds);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        await JsonOutput.EndAsync(context, writer).ConfigureAwait(false);
    }

    /// <summary><c>GET /_local/token</c>: a token for ably-js <c>authUrl</c> (text/plain), so a page on this machine needs no API key.</summary>
    private async Task WriteTokenAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/plain";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync(_core.Tokens.Issue(), context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary><c>POST /_local/realtime/disconnect[?refuseMs=N]</c>: drops every realtime connection (see LocalAblyServer.DisconnectRealtimeClients).</summary>
    private async Task WriteDisconnectAsync(HttpContext context)
    {
        var refuseMs = ReadLong(context.Request.Query, "refuseMs") ?? 0;
        var dropped = _core.Realtime.DisconnectAll(TimeSpan.FromMilliseconds(Math.Max(0, refuseMs)));
        var writer = JsonOutput.Begin(context, StatusCodes.Status200OK);
        writer.WriteStartObject();
        writer.WriteNumber("dropped"u8, dropped);
        writer.WriteNumber("refuseMs"u8, Math.Max(0, refuseMs));
        writer.WriteEndObject();
        await JsonOutput.EndAsync(context, writer).ConfigureAwait(false);
    }

    private static async Task WriteOkAsync(HttpContext context, string what)
    {
        var writer = JsonOutput.Begin(context, StatusCodes.Status200OK);
        writer.WriteStartObject();
        writer.WriteString("ok"u8, what);
        writer.WriteEndObject();
        await JsonOutput.EndAsync(context, writer).ConfigureAwait(false);
    }

    private static FaultTarget ParseTarget(StringValues value)
    {
        var text = value.ToString();
        return text.ToLowerInvariant() switch
        {
            "" or "publish" => FaultTarget.Publish,
            "channel" or "channelpublish" => FaultTarget.ChannelPublish,
            "batch" or "batchpublish" => FaultTarget.BatchPublish,
            "history" => FaultTarget.History,
            "all" => FaultTarget.All,
            _ => throw new AblyException(400, AblyErrors.InvalidParameter, "Invalid target \"" + text + "\": use publish, channel, batch, history or all"),
        };
    }

    private static long? ReadLong(IQueryCollection query, string name)
    {
        var values = query[name];
        if (StringValues.IsNullOrEmpty(values))
        {
            return null;
        }

        if (!long.TryParse(values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw new AblyException(400, AblyErrors.InvalidParameter, "Invalid " + name + " parameter: expected an integer");
        }

        return value;
    }

    private static string? NullIfEmpty(StringValues value) => StringValues.IsNullOrEmpty(value) ? null : value[0];

    private static void RequireMethod(string method, string expected)
    {
        if (!string.Equals(method, expected, StringComparison.OrdinalIgnoreCase))
        {
            throw new AblyException(405, AblyErrors.MethodNotAllowed, "Method " + method + " not allowed here; use " + expected);
        }
    }
}
