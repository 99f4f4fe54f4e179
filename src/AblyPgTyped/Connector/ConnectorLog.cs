using System;
using Microsoft.Extensions.Logging;

namespace AblyPgTyped;

/// <summary>The connector's log messages. Event ids: 1000–1099 lifecycle, 1100–1199 capture, 1200–1299 publishing.</summary>
internal static partial class ConnectorLog
{
    [LoggerMessage(1000, LogLevel.Information, "Connector is active for capture schema {CaptureSchema}: {TableCount} table(s) installed")]
    public static partial void BecameActive(ILogger logger, string captureSchema, int tableCount);

    [LoggerMessage(1001, LogLevel.Information, "Another connector is active for capture schema {CaptureSchema}; standing by")]
    public static partial void StandingBy(ILogger logger, string captureSchema);

    [LoggerMessage(1002, LogLevel.Warning, "Connector lost its database session; it will reconnect in {Delay}")]
    public static partial void SessionLost(ILogger logger, TimeSpan delay, Exception exception);

    [LoggerMessage(1003, LogLevel.Information, "Connector stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(1004, LogLevel.Error, "Capture could not be installed; retrying in {Delay}")]
    public static partial void InstallFailed(ILogger logger, TimeSpan delay, Exception exception);

    [LoggerMessage(1100, LogLevel.Debug, "Read {RowCount} capture row(s) holding {ChangeCount} change(s)")]
    public static partial void Read(ILogger logger, int rowCount, int changeCount);

    [LoggerMessage(1101, LogLevel.Error, "Change {Position} of {Table} was dead-lettered: {Reason}")]
    public static partial void DeadLettered(ILogger logger, ChangePosition position, string table, string reason);

    [LoggerMessage(1102, LogLevel.Error, "A handler for {Kind} changes of {Table} failed at {Position}; the stream continues")]
    public static partial void HandlerFailed(ILogger logger, ChangeKind kind, string table, ChangePosition position, Exception exception);

    [LoggerMessage(1200, LogLevel.Debug, "Published {MessageCount} message(s) on {ChannelCount} channel(s)")]
    public static partial void Published(ILogger logger, int messageCount, int channelCount);

    [LoggerMessage(1201, LogLevel.Warning, "{ChannelCount} channel(s) not yet accepted by Ably ({Reason}); retrying in {Delay}")]
    public static partial void PublishRetry(ILogger logger, int channelCount, string reason, TimeSpan delay);

    [LoggerMessage(1202, LogLevel.Error, "Ably rejected the API key ({Reason}); changes stay captured and publishing retries in {Delay}")]
    public static partial void Unauthorized(ILogger logger, string reason, TimeSpan delay);
}
