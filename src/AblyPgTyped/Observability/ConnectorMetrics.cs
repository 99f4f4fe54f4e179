using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using AblyPgTyped.Capture;
using AblyPgTyped.Publishing;

namespace AblyPgTyped.Observability;

/// <summary>
/// One connector's side of the instruments: its tags, fixed once, and a method per thing measured. Each costs a check
/// of the instrument's listeners when nobody listens.
/// </summary>
internal sealed class ConnectorMetrics
{
    private readonly ConnectorInstruments _instruments;
    private readonly KeyValuePair<string, object?> _schema;
    private readonly KeyValuePair<string, object?> _server;
    private static readonly KeyValuePair<string, object?> MessagingSystem = new(TelemetryNames.MessagingSystem, TelemetryNames.Ably);
    private static readonly KeyValuePair<string, object?> Operation = new(TelemetryNames.OperationName, TelemetryNames.Publish);
    private static readonly KeyValuePair<string, object?> OperationType = new(TelemetryNames.OperationType, TelemetryNames.Send);

    public ConnectorMetrics(ConnectorInstruments instruments, ConnectorStatus status, string serverAddress)
    {
        _instruments = instruments;
        _schema = new(TelemetryNames.CaptureSchema, status.CaptureSchema);
        _server = new(TelemetryNames.ServerAddress, serverAddress);
    }

    public void Read(int changes) => _instruments.ChangesRead.Add(changes, _schema);

    public void Published(string destination, int changes) => _instruments.ChangesPublished.Add(changes, _schema, Destination(destination));

    /// <summary>Messages of one channel that a request carried, and what became of them (<paramref name="errorType"/> null: accepted).</summary>
    public void Sent(string destination, int messages, int bundles, string? errorType)
    {
        var tags = new TagList { MessagingSystem, Operation, Destination(destination), _schema };
        if (errorType is not null)
        {
            tags.Add(TelemetryNames.ErrorType, errorType);
        }

        _instruments.SentMessages.Add(messages, tags);
        if (bundles > 0)
        {
            _instruments.BundlesSent.Add(bundles, tags);
        }
    }

    /// <summary>One batch publish request, from sending to its answer.</summary>
    public void Request(TimeSpan duration, string? destination, string? errorType)
    {
        var tags = new TagList { MessagingSystem, Operation, OperationType, _server, _schema };
        if (destination is not null)
        {
            tags.Add(TelemetryNames.Destination, destination);
        }

        if (errorType is not null)
        {
            tags.Add(TelemetryNames.ErrorType, errorType);
        }

        _instruments.OperationDuration.Record(duration.TotalSeconds, tags);
    }

    public void RateLimited(string scope, AblyErrorInfo error) =>
        _instruments.RateLimited.Add(1, _schema, new(TelemetryNames.RateLimitScope, scope), new(TelemetryNames.ErrorType, ErrorType(error)));

    public void Retry(string reason) => _instruments.Retries.Add(1, _schema, new(TelemetryNames.RetryReason, reason));

    public void DeadLettered(DeadLetterCause cause) => _instruments.DeadLetters.Add(1, _schema, new(TelemetryNames.DeadLetterReason, cause.TagValue()));

    /// <summary>Whether anybody listens to the lag: it is measured per change only then.</summary>
    public bool LagEnabled => _instruments.Lag.Enabled;

    public void Lag(TimeSpan lag) => _instruments.Lag.Record(Math.Max(0, lag.TotalSeconds), _schema);

    /// <summary>An Ably error as <c>error.type</c>: its code, a low-cardinality value (50003 timeout, 80000 no connection, 42913 channel rate, …).</summary>
    public static string ErrorType(AblyErrorInfo? error) => error is null ? "unknown" : error.Code.ToString(CultureInfo.InvariantCulture);

    /// <summary>Why a publish is retried, as <c>ablypg.retry.reason</c>.</summary>
    public static string RetryReason(AblyErrorInfo error) =>
        AblyErrorRules.IsRateLimit(error) ? "rate_limited"
        : error.Code == 50003 ? "timeout"
        : error.Code == 80000 ? "network"
        : AblyErrorRules.IsCredentialError(error) || error.StatusCode is 401 or 403 ? "unauthorized"
        : error.StatusCode >= 500 || error.Code is >= 50000 and < 60000 ? "server_error"
        : "unexpected_response";

    private static KeyValuePair<string, object?> Destination(string destination) => new(TelemetryNames.Destination, destination);
}
