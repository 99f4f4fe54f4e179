using System;
using System.Collections.Generic;
using System.Diagnostics;
using AblyPgTyped.Capture;
using AblyPgTyped.Observability;
using AblyPgTyped.Publishing;

namespace AblyPgTyped.Draining;

/// <summary>
/// What the <see cref="PublishScheduler"/> tells the metrics, the spans and the connector's status about each request
/// and each channel's part in it, so the scheduler itself only says what happened.
/// </summary>
internal sealed class PublishObserver(ConnectorTelemetry telemetry)
{
    private readonly ConnectorMetrics _metrics = telemetry.Metrics;
    private readonly ConnectorStatus _status = telemetry.Status;

    /// <summary>The metrics' name for the channel a change goes to: the mapping's template for its kind.</summary>
    public static string DestinationOf(DecodedChange change)
    {
        var template = change.Mapping.ChannelTemplate(change.Kind);

        // A backfill may name a channel of its own: a literal that is not the template is kept as it is.
        return template is null || (change.Kind == ChangeKind.Snapshot && !template.Contains('{', StringComparison.Ordinal) && template != change.Channel)
            ? change.Channel!
            : template;
    }

    public Request Starting(List<LaneChunk> chunks, int messages)
    {
        var destination = chunks[0].Lane.Destination;
        var changes = 0;
        foreach (var chunk in chunks)
        {
            changes += chunk.ChangeCount;
            if (!string.Equals(chunk.Lane.Destination, destination, StringComparison.Ordinal))
            {
                destination = null; // several destinations: the request is named by none of them
            }
        }

        var activity = PublishTracing.StartPublish(destination, chunks.Count, messages, changes, telemetry.ServerAddress, telemetry.CaptureSchema);
        return new Request(Stopwatch.GetTimestamp(), activity, destination);
    }

    /// <summary>Ably answered the request (or the connection failed): its duration, its span, and whether Ably is reachable.</summary>
    public void Answered(in Request request, RequestOutcome outcome)
    {
        var errorType = outcome.Kind == RequestOutcomeKind.Completed ? null : ConnectorMetrics.ErrorType(outcome.Error);
        _metrics.Request(Stopwatch.GetElapsedTime(request.Started), request.Destination, errorType);
        PublishTracing.End(request.Activity, Label(outcome), errorType, outcome.Error?.Message);
        if (outcome.Kind is RequestOutcomeKind.Completed or RequestOutcomeKind.BadRequest)
        {
            _status.AblyAnswered();
        }
    }

    /// <summary>The request ended in an exception (leadership lost, stopping).</summary>
    public void Faulted(in Request request, Exception exception)
    {
        var errorType = exception.GetType().Name;
        _metrics.Request(Stopwatch.GetElapsedTime(request.Started), request.Destination, errorType);
        PublishTracing.End(request.Activity, "failed", errorType, exception.Message);
    }

    /// <summary>Ably accepted the chunk. Called under the scheduler's lock, before the lane lets go of the changes.</summary>
    public void Accepted(LaneChunk chunk)
    {
        var lane = chunk.Lane;
        _metrics.Sent(lane.Destination, chunk.MessageCount, chunk.BundleCount, null);
        _metrics.Published(lane.Destination, chunk.ChangeCount);
        _status.AddPublished(chunk.ChangeCount);
        if (_metrics.LagEnabled)
        {
            var now = DateTimeOffset.UtcNow;
            for (var i = 0; i < chunk.ChangeCount; i++)
            {
                _metrics.Lag(now - lane[i].Change.CapturedAt);
            }
        }
    }

    /// <summary>The chunk's messages were not accepted (they will be retried, resent smaller, or dead-lettered).</summary>
    public void NotAccepted(LaneChunk chunk, AblyErrorInfo? error) =>
        _metrics.Sent(chunk.Lane.Destination, chunk.MessageCount, chunk.BundleCount, ConnectorMetrics.ErrorType(error));

    /// <summary>A request or a channel will be tried again after <paramref name="error"/>.</summary>
    public void Retrying(AblyErrorInfo error, bool channel)
    {
        _metrics.Retry(ConnectorMetrics.RetryReason(error));
        if (AblyErrorRules.IsRateLimit(error))
        {
            _metrics.RateLimited(channel ? "channel" : "account", error);
        }
    }

    /// <summary>Every channel waits: Ably refused the key, limited the account, or failed.</summary>
    public void Paused(AblyErrorInfo error, bool unauthorized, string description)
    {
        if (unauthorized)
        {
            _status.AblyRefused(description);
        }
        else if (AblyErrorRules.IsRateLimit(error))
        {
            _status.HeldBack("Ably refuses requests for the account's rate limits (" + description + ")");
        }
        else
        {
            _status.AblyFailing(description);
        }
    }

    /// <summary>A limit of Ably's holds the stream back (the scheduler's periodic check).</summary>
    public void HeldBack(string description) => _status.HeldBack(description);

    private static string Label(RequestOutcome outcome) => outcome.Kind switch
    {
        RequestOutcomeKind.Completed => outcome.Channels is null || AllAccepted(outcome.Channels) ? "accepted" : "partial",
        RequestOutcomeKind.BadRequest => "refused",
        RequestOutcomeKind.Unauthorized => "unauthorized",
        _ => outcome.Error is { } error && AblyErrorRules.IsRateLimit(error) ? "rate_limited" : "failed",
    };

    private static bool AllAccepted(Dictionary<string, AblyErrorInfo?> channels)
    {
        foreach (var error in channels.Values)
        {
            if (error is not null)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A request on its way: when it was sent, its span, the destination it is named by.</summary>
    internal readonly record struct Request(long Started, Activity? Activity, string? Destination);
}
