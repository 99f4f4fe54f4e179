using System;
using AblyPgTyped.Observability;
using Microsoft.Extensions.Logging;

namespace AblyPgTyped;

/// <summary>
/// The connector's log messages. Event ids: 1000–1099 lifecycle, 1100–1199 capture, 1200–1299 publishing. Durations
/// print in human units (<see cref="HumanDuration"/>); a failure that repeats logs one line when it starts and one when
/// it ends, with the retries in between at Debug.
/// </summary>
internal static partial class ConnectorLog
{
    [LoggerMessage(1000, LogLevel.Information, "Connector is active for capture schema {CaptureSchema}: {TableCount} table(s) installed")]
    public static partial void BecameActive(ILogger logger, string captureSchema, int tableCount);

    [LoggerMessage(1001, LogLevel.Information, "Another connector is active for capture schema {CaptureSchema}; standing by")]
    public static partial void StandingBy(ILogger logger, string captureSchema);

    [LoggerMessage(1002, LogLevel.Warning, "Connector lost its database session; it will reconnect in {Delay}")]
    public static partial void SessionLost(ILogger logger, HumanDuration delay, Exception exception);

    [LoggerMessage(1003, LogLevel.Information, "Connector stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(1004, LogLevel.Error, "Capture could not be installed; retrying in {Delay}")]
    public static partial void InstallFailed(ILogger logger, HumanDuration delay, Exception exception);

    [LoggerMessage(1005, LogLevel.Information, "Connector reached the database again after {Failures} failed attempt(s) over {Duration}")]
    public static partial void Reconnected(ILogger logger, int failures, HumanDuration duration);

    [LoggerMessage(1006, LogLevel.Debug, "Connector still cannot use the database (attempt {Attempt}: {Reason}); retrying in {Delay}")]
    public static partial void StillFailing(ILogger logger, int attempt, string reason, HumanDuration delay);

    [LoggerMessage(1010, LogLevel.Warning, "The active connector's session (pid {ProcessId}, role {Role}, client {Client}) was silent for {Silence}, longer than the lease ({LeaseTimeout}): it was ended so that this connector takes over")]
    public static partial void LeaseBroken(ILogger logger, int processId, string? role, string? client, HumanDuration silence, HumanDuration leaseTimeout);

    [LoggerMessage(1011, LogLevel.Warning, "The active connector's session (pid {ProcessId}) cannot be checked or ended by this standby ({Reason}); if its network goes silent, take-over waits for the server's TCP keepalives. Run every connector of a capture schema as the same role, or grant this one pg_read_all_stats and pg_signal_backend")]
    public static partial void LeaseUnverifiable(ILogger logger, int processId, string reason);

    [LoggerMessage(1100, LogLevel.Debug, "Read {RowCount} capture row(s) holding {ChangeCount} change(s)")]
    public static partial void Read(ILogger logger, int rowCount, int changeCount);

    [LoggerMessage(1101, LogLevel.Error, "Change {Position} of {Table} was dead-lettered: {Reason}")]
    public static partial void DeadLettered(ILogger logger, ChangePosition position, string table, string reason);

    [LoggerMessage(1102, LogLevel.Error, "A handler for {Kind} changes of {Table} failed at {Position}; the stream continues")]
    public static partial void HandlerFailed(ILogger logger, ChangeKind kind, string table, ChangePosition position, Exception exception);

    [LoggerMessage(1103, LogLevel.Information, "Could not forget the changes Ably accepted while stopping ({Reason}); they will be sent again, with the same ids")]
    public static partial void ForgetOnStopFailed(ILogger logger, string reason);

    [LoggerMessage(1110, LogLevel.Warning, "Table {Table} (mapped by {MappedBy}) no longer exists: its capture is set aside and the other tables go on. Create it again, or remove its mapping")]
    public static partial void MappedTableDropped(ILogger logger, string table, string mappedBy);

    [LoggerMessage(1111, LogLevel.Warning, "Table {Table} (mapped by {MappedBy}) was renamed to {NewName}: its capture triggers moved with it, and its changes are still published as {Table}. Rename it back, or map {NewName} instead")]
    public static partial void MappedTableRenamed(ILogger logger, string table, string mappedBy, string newName);

    [LoggerMessage(1112, LogLevel.Warning, "The capture store {Store} has not been drained for {Age}: {RowCount} row(s) of changes wait, the oldest captured at {Oldest}, and every write to a mapped table adds to it. Keep a connector running for capture schema {CaptureSchema}, or remove capture with `ablypg uninstall` (Connector.UninstallAsync)")]
    public static partial void StaleStore(ILogger logger, string store, HumanDuration age, long rowCount, System.DateTimeOffset oldest, string captureSchema);

    [LoggerMessage(1113, LogLevel.Information, "Capture installed in schema {CaptureSchema}, because {Reasons}")]
    public static partial void CaptureInstalled(ILogger logger, string captureSchema, string reasons);

    [LoggerMessage(1115, LogLevel.Warning, "The capture store {Store} takes {Size} on disk, more than StoreSizeWarningAbove ({Limit}): about {Backlog} change(s) wait, the oldest captured {Age} ago. Keep a connector running for capture schema {CaptureSchema} and check that it keeps up, or remove capture with `ablypg uninstall` (Connector.UninstallAsync)")]
    public static partial void StoreTooLarge(ILogger logger, string store, HumanBytes size, HumanBytes limit, long backlog, HumanDuration age, string captureSchema);

    [LoggerMessage(1114, LogLevel.Warning, "Capture removed, but schema {CaptureSchema} was kept: it holds {Objects}, which the connector did not create")]
    public static partial void SchemaKept(ILogger logger, string captureSchema, string objects);

    [LoggerMessage(1201, LogLevel.Warning, "Ably did not accept a publish request ({Reason}); every channel waits {Delay} and retries, with the same message ids")]
    public static partial void PublishRetry(ILogger logger, string reason, HumanDuration delay);

    [LoggerMessage(1202, LogLevel.Error, "Ably rejected the API key ({Reason}); changes stay captured and publishing retries, first in {Delay}, until Ably accepts it")]
    public static partial void Unauthorized(ILogger logger, string reason, HumanDuration delay);

    [LoggerMessage(1203, LogLevel.Information, "Ably accepts publish requests again, after {Failures} failed attempt(s) over {Duration}")]
    public static partial void PublishRecovered(ILogger logger, int failures, HumanDuration duration);

    [LoggerMessage(1204, LogLevel.Warning, "Channel {Channel} failed ({Reason}); it retries with backoff while other channels go on ({Waiting} change(s) waiting on it)")]
    public static partial void ChannelRetry(ILogger logger, string channel, string reason, int waiting);

    [LoggerMessage(1205, LogLevel.Information, "Channel {Channel} was refused for its rate ({Reason}); it now sends less per request ({Waiting} change(s) waiting on it)")]
    public static partial void ChannelRateLimited(ILogger logger, string channel, string reason, int waiting);

    [LoggerMessage(1206, LogLevel.Information, "Ably refused a request of {ChannelCount} channels as a whole ({Reason}); each is sent alone to find the cause")]
    public static partial void Isolating(ILogger logger, int channelCount, string reason);

    [LoggerMessage(1207, LogLevel.Information, "Ably refused {ChangeCount} change(s) on channel {Channel} ({Reason}); sending fewer at a time to find the one at fault")]
    public static partial void Splitting(ILogger logger, string channel, int changeCount, string reason);

    [LoggerMessage(1208, LogLevel.Warning, "Channel {Channel} is held to Ably's {Rate} messages/s per channel and {Waiting} change(s) wait on it: {Advice}")]
    public static partial void ChannelBottleneck(ILogger logger, string channel, double rate, int waiting, string advice);

    [LoggerMessage(1209, LogLevel.Warning, "The Ably account's limits ({MessageRate} messages/s, {RequestRate} requests/s; plan {Plan}) hold publishing back: {Waiting} change(s) wait on {ChannelCount} channel(s). If your account allows more, set Ably.Plan or Ably.AccountMessagesPerSecond")]
    public static partial void AccountBottleneck(ILogger logger, double messageRate, double requestRate, AblyPgTyped.Publishing.AblyPlan plan, int waiting, int channelCount);

    [LoggerMessage(1210, LogLevel.Information, "Draining a backlog of {Backlog} change(s) in capture store {Store}, the oldest captured {Age} ago")]
    public static partial void BacklogFound(ILogger logger, long backlog, string store, HumanDuration age);

    [LoggerMessage(1211, LogLevel.Information, "Backlog of capture store {Store}: {Backlog} change(s) wait; Ably accepted {Rate} changes/s over the last {Interval}; {Remaining}")]
    public static partial void BacklogProgress(ILogger logger, string store, long backlog, long rate, HumanDuration interval, string remaining);

    [LoggerMessage(1212, LogLevel.Information, "Backlog of capture store {Store} drained: Ably accepted {Published} change(s) in {Duration} ({Rate} changes/s); the connector has caught up")]
    public static partial void BacklogDrained(ILogger logger, string store, long published, HumanDuration duration, long rate);
}
