using System;
using System.Diagnostics;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AblyPgTyped.LocalAbly;

/// <summary>
/// The single request handler. Routes on the RAW request target, because Kestrel decodes every escape in
/// Request.Path except %2F and channel names may contain '/'. Also turns every error into an Ably error response.
/// </summary>
internal sealed class RequestRouter
{
    private const string ChannelsPrefix = "/channels/";
    private const string MessagesSuffix = "/messages";
    private readonly ServerCore _core;
    private readonly PublishEndpoints _publish;
    private readonly HistoryEndpoint _history;
    private readonly SseEndpoints _sse;
    private readonly LocalControlEndpoints _local;
    private readonly RealtimeEndpoint _realtime;

    public RequestRouter(ServerCore core)
    {
        _core = core;
        _publish = new PublishEndpoints(core);
        _history = new HistoryEndpoint(core);
        _sse = new SseEndpoints(core);
        _local = new LocalControlEndpoints(core, _sse);
        _realtime = new RealtimeEndpoint(core);
    }

    public async Task HandleAsync(HttpContext context)
    {
        var started = _core.Options.LogRequests ? Stopwatch.GetTimestamp() : 0;
        var rawPath = RawPath(context);
        var method = context.Request.Method;
        AddCorsHeaders(context);
        try
        {
            if (HttpMethods.IsOptions(method))
            {
                WritePreflight(context);
                return;
            }

            if (context.WebSockets.IsWebSocketRequest)
            {
                if (rawPath is not ("/" or ""))
                {
                    throw new AblyException(404, AblyErrors.NotFound, "Not found: " + rawPath + " (the realtime WebSocket endpoint is /)");
                }

                await _realtime.AcceptAsync(context).ConfigureAwait(false);
                return;
            }

            await DispatchAsync(context, method, rawPath).ConfigureAwait(false);
        }
        catch (AblyException ex)
        {
            if (ex.StatusCode == 401)
            {
                ServerCounters.Increment(ref _core.Counters.AuthFailures);
            }

            await AblyErrors.WriteAsync(context, ex).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client disconnected; there is nobody to answer.
        }
        catch (Exception ex)
        {
            _core.Options.Log?.Invoke("Unhandled error on " + method + " " + rawPath + ": " + ex);
            await AblyErrors.WriteAsync(context, 500, AblyErrors.Internal, "Internal error in the local Ably server: " + ex.GetType().Name + ": " + ex.Message).ConfigureAwait(false);
        }
        finally
        {
            if (started != 0)
            {
                _core.Options.Log?.Invoke(method + " " + rawPath + " -> " + context.Response.StatusCode + " in " + Stopwatch.GetElapsedTime(started).TotalMilliseconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture) + " ms");
            }
        }
    }

    private Task DispatchAsync(HttpContext context, string method, string rawPath)
    {
        if (rawPath.StartsWith("/_local", StringComparison.Ordinal) && (rawPath.Length == 7 || rawPath[7] == '/'))
        {
            return _local.HandleAsync(context, ChannelNames.DecodePathSegment(rawPath.Substring(7)));
        }

        if (rawPath.StartsWith(ChannelsPrefix, StringComparison.Ordinal) && rawPath.EndsWith(MessagesSuffix, StringComparison.Ordinal)
            && rawPath.Length >= ChannelsPrefix.Length + MessagesSuffix.Length)
        {
            // Everything between the prefix and the suffix is the channel, so even an unescaped '/' works.
            var channel = ChannelNames.DecodePathSegment(rawPath.Substring(ChannelsPrefix.Length, rawPath.Length - ChannelsPrefix.Length - MessagesSuffix.Length));
            if (HttpMethods.IsPost(method))
            {
                CountIfPublishAuthFails(context, batch: false);
                return _publish.PublishAsync(context, channel);
            }

            if (HttpMethods.IsGet(method))
            {
                _core.Auth.Authenticate(context.Request);
                return _history.HandleAsync(context, channel);
            }

            throw MethodNotAllowed(method, "GET or POST");
        }

        switch (rawPath)
        {
            case "/messages":
                RequireMethod(method, HttpMethods.Post);
                CountIfPublishAuthFails(context, batch: true);
                return _publish.BatchPublishAsync(context);
            case "/time":
                RequireMethod(method, HttpMethods.Get);
                return WriteTimeAsync(context);
            case "/sse":
                RequireMethod(method, HttpMethods.Get);
                _core.Auth.Authenticate(context.Request);
                return _sse.StreamAsync(context, alwaysSse: true, channelsRequired: true);
            case "/event-stream":
                RequireMethod(method, HttpMethods.Get);
                _core.Auth.Authenticate(context.Request);
                return _sse.StreamAsync(context, alwaysSse: false, channelsRequired: true);
            case "/":
            case "":
                RequireMethod(method, HttpMethods.Get);
                return LivePage.WriteAsync(context);
            default:
                throw new AblyException(404, AblyErrors.NotFound, "Not found: " + rawPath + " (the local Ably server implements /time, /channels/{name}/messages, /messages, /sse, /event-stream, the realtime WebSocket at / and /_local/*)");
        }
    }

    private void CountIfPublishAuthFails(HttpContext context, bool batch)
    {
        try
        {
            _core.Auth.Authenticate(context.Request);
        }
        catch (AblyException)
        {
            ServerCounters.Increment(ref _core.Counters.PublishRequests);
            ServerCounters.Increment(ref batch ? ref _core.Counters.BatchPublishRequests : ref _core.Counters.ChannelPublishRequests);
            ServerCounters.Increment(ref _core.Counters.RejectedRequests);
            throw;
        }
    }

    private static async Task WriteTimeAsync(HttpContext context)
    {
        RequestBodies.EnsureJsonAccepted(context.Request);
        var writer = JsonOutput.Begin(context, StatusCodes.Status200OK);
        writer.WriteStartArray();
        writer.WriteNumberValue(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        writer.WriteEndArray();
        await JsonOutput.EndAsync(context, writer).ConfigureAwait(false);
    }

    private static string RawPath(HttpContext context)
    {
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(rawTarget) || rawTarget[0] != '/')
        {
            // Absolute-form or missing target: fall back to the (decoded) path.
            return context.Request.Path.Value ?? "/";
        }

        var query = rawTarget.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? rawTarget : rawTarget.Substring(0, query);
    }

    // Browser ably-js sends credentials, so the origin is echoed (not '*') and Link / X-Ably-Error* are exposed.
    private static void AddCorsHeaders(HttpContext context)
    {
        string? origin = context.Request.Headers.Origin;
        if (string.IsNullOrEmpty(origin))
        {
            return;
        }

        var headers = context.Response.Headers;
        headers.AccessControlAllowOrigin = origin;
        headers.AccessControlAllowCredentials = "true";
        headers.AccessControlExposeHeaders = "Link, X-Ably-ErrorCode, X-Ably-ErrorMessage, Retry-After";
        headers.Vary = "Origin";
    }

    private static void WritePreflight(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.AccessControlAllowMethods = "GET, POST, DELETE, OPTIONS";
        var requested = context.Request.Headers.AccessControlRequestHeaders.ToString();
        headers.AccessControlAllowHeaders = requested.Length > 0 ? requested : "Authorization, Content-Type, Accept, X-Ably-Version, Ably-Agent";
        headers.AccessControlMaxAge = "86400";
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static void RequireMethod(string method, string expected)
    {
        if (!string.Equals(method, expected, StringComparison.OrdinalIgnoreCase))
        {
            throw MethodNotAllowed(method, expected);
        }
    }

    private static AblyException MethodNotAllowed(string method, string allowed) =>
        new(405, AblyErrors.MethodNotAllowed, "Method " + method + " not allowed here; use " + allowed);
}
