using System.Diagnostics;

namespace AblyPgTyped.Observability;

/// <summary>
/// The connector's spans: one per batch publish request (a producer span, as OpenTelemetry's messaging conventions
/// describe a send), named <c>publish</c> or <c>publish {channel template}</c> when the request carries one destination.
/// A request has no parent: it serves many writing transactions, none of which it knows. Without a listener nothing is
/// created or tagged.
/// </summary>
internal static class PublishTracing
{
    public static ActivitySource Source { get; } = new(AblyPgTelemetry.ActivitySourceName, typeof(PublishTracing).Assembly.GetName().Version?.ToString(3));

    /// <summary>Starts a request's span, or returns null when nobody listens or the sampler declines it.</summary>
    public static Activity? StartPublish(string? destination, int channels, int messages, int changes, string serverAddress, string captureSchema)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        // Whatever the calling flow carries is not this request's cause.
        Activity.Current = null;
        var activity = Source.StartActivity(destination is null ? TelemetryNames.Publish : TelemetryNames.Publish + " " + destination, ActivityKind.Producer);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(TelemetryNames.MessagingSystem, TelemetryNames.Ably);
            activity.SetTag(TelemetryNames.OperationName, TelemetryNames.Publish);
            activity.SetTag(TelemetryNames.OperationType, TelemetryNames.Send);
            if (destination is not null)
            {
                activity.SetTag(TelemetryNames.Destination, destination);
            }

            activity.SetTag(TelemetryNames.BatchMessageCount, messages);
            activity.SetTag(TelemetryNames.ChannelCount, channels);
            activity.SetTag(TelemetryNames.ChangeCount, changes);
            activity.SetTag(TelemetryNames.ServerAddress, serverAddress);
            activity.SetTag(TelemetryNames.CaptureSchema, captureSchema);
        }

        return activity;
    }

    /// <summary>Ends a request's span with its outcome; <paramref name="errorType"/> null when Ably answered with results.</summary>
    public static void End(Activity? activity, string outcome, string? errorType, string? errorMessage)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag(TelemetryNames.Outcome, outcome);
        if (errorType is not null)
        {
            activity.SetTag(TelemetryNames.ErrorType, errorType);
            activity.SetStatus(ActivityStatusCode.Error, errorMessage);
        }

        activity.Dispose();
    }
}
