using System;
using AblyPgTyped.Observability;
using AblyPgTyped.Publishing;
using Microsoft.Extensions.Logging;

namespace AblyPgTyped;

/// <summary>
/// Every log message of the connector, as <c>[LoggerMessage]</c> methods with event ids in bands: 1000–1099 lifecycle,
/// 1100–1149 trigger capture and the store (1120–1129 backfills), 1150–1169 logical-replication capture, 1200–1299
/// draining and publishing, 3000–3099 the Ably REST publisher. Durations print in human units
/// (<see cref="HumanDuration"/>); a failure that repeats logs one line when it starts and one when it ends, with the
/// retries in between at Debug. Arguments never include the API key's secret or a password: key names, hosts,
/// channels, counts and Ably's (redacted) error codes and messages only.
/// </summary>
internal static partial class LogMessages
{
    // Lifecycle (1000–1099)
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

    // Trigger capture and the store (1100–1149; backfills 1120–1129)
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

    [LoggerMessage(1114, LogLevel.Warning, "Capture removed, but schema {CaptureSchema} was kept: it holds {Objects}, which the connector did not create")]
    public static partial void SchemaKept(ILogger logger, string captureSchema, string objects);

    [LoggerMessage(1115, LogLevel.Warning, "The capture store {Store} takes {Size} on disk, more than StoreSizeWarningAbove ({Limit}): about {Backlog} change(s) wait, the oldest captured {Age} ago. Keep a connector running for capture schema {CaptureSchema} and check that it keeps up, or remove capture with `ablypg uninstall` (Connector.UninstallAsync)")]
    public static partial void StoreTooLarge(ILogger logger, string store, HumanBytes size, HumanBytes limit, long backlog, HumanDuration age, string captureSchema);

    [LoggerMessage(1120, LogLevel.Information, "Backfill {Id} of {Table} requested: about {Estimate} row(s)")]
    public static partial void Requested(ILogger logger, long id, string table, long estimate);

    [LoggerMessage(1121, LogLevel.Information, "Backfill {Id} of {Table} running: {Done} row(s) recorded before, of about {Estimate}")]
    public static partial void Running(ILogger logger, long id, string table, long done, long estimate);

    [LoggerMessage(1122, LogLevel.Information, "Backfill {Id} of {Table}: {Done} of about {Estimate} row(s) recorded, {Rate} rows/s")]
    public static partial void Progress(ILogger logger, long id, string table, long done, long estimate, long rate);

    [LoggerMessage(1123, LogLevel.Information, "Backfill {Id} of {Table} finished: {Done} row(s) recorded as snapshots")]
    public static partial void Finished(ILogger logger, long id, string table, long done);

    [LoggerMessage(1124, LogLevel.Error, "Backfill {Id} of {Table} failed: {Reason}")]
    public static partial void Failed(ILogger logger, long id, string table, string reason);

    [LoggerMessage(1125, LogLevel.Warning, "Backfills cannot run now; retrying in {Delay}. The drain goes on")]
    public static partial void Failing(ILogger logger, Observability.HumanDuration delay, Exception exception);

    [LoggerMessage(1126, LogLevel.Information, "This connector's role may not run backfills: {Reason}. It publishes changes as usual")]
    public static partial void NotPermitted(ILogger logger, string reason);

    [LoggerMessage(1127, LogLevel.Information, "Backfill {Id} of {Table} cancelled after {Done} row(s); those recorded are still published")]
    public static partial void Cancelled(ILogger logger, long id, string table, long done);

    // Logical-replication capture (1150–1169)
    [LoggerMessage(1150, LogLevel.Information, "Created replication slot {Slot}: changes are captured from this moment on")]
    public static partial void SlotCreated(ILogger logger, string slot);

    [LoggerMessage(1151, LogLevel.Error, "Replication slot {Slot} was dropped outside the connector: the changes made while it was missing were not captured. It is created again")]
    public static partial void SlotLost(ILogger logger, string slot);

    [LoggerMessage(1152, LogLevel.Information, "Streaming changes from replication slot {Slot}, confirmed up to {Position}")]
    public static partial void ReplicationStarted(ILogger logger, string slot, string position);

    [LoggerMessage(1153, LogLevel.Warning, "Changes to {Table} do not fit its mapping and are dead-lettered until this is fixed: {Problem}")]
    public static partial void RelationMismatch(ILogger logger, string table, string problem);

    [LoggerMessage(1154, LogLevel.Warning, "Table {Table} changed: {Change}")]
    public static partial void RelationChanged(ILogger logger, string table, string change);

    [LoggerMessage(1155, LogLevel.Information, "Replication slot {Slot} is still held by process {ProcessId}, a previous active connector's; ending that process")]
    public static partial void SlotTakenOver(ILogger logger, string slot, int processId);

    [LoggerMessage(1156, LogLevel.Debug, "Wrote a heartbeat to the write-ahead log so that the idle replication slot {Slot} can advance ({LagBytes} bytes behind)")]
    public static partial void Heartbeat(ILogger logger, string slot, long lagBytes);

    // Draining and publishing (1200–1299)
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

    [LoggerMessage(1213, LogLevel.Information, "The chunk of channel {Channel} sent before the restart from position {Position} cannot be sent again as it was cut ({Reason}); it is cut afresh, so subscribers may see some of its changes twice")]
    public static partial void CutChanged(ILogger logger, string channel, ChangePosition position, string reason);

    [LoggerMessage(1214, LogLevel.Information, "Ably accepted the chunk of channel {Channel} from position {Position} before the restart: its {Count} change(s) still in the store are not sent again")]
    public static partial void AcceptedBeforeRestart(ILogger logger, string channel, int count, ChangePosition position);

    [LoggerMessage(1210, LogLevel.Information, "Draining a backlog of {Backlog} change(s) in capture store {Store}, the oldest captured {Age} ago")]
    public static partial void BacklogFound(ILogger logger, long backlog, string store, HumanDuration age);

    [LoggerMessage(1211, LogLevel.Information, "Backlog of capture store {Store}: {Backlog} change(s) wait; Ably accepted {Rate} changes/s over the last {Interval}; {Remaining}")]
    public static partial void BacklogProgress(ILogger logger, string store, long backlog, long rate, HumanDuration interval, string remaining);

    [LoggerMessage(1212, LogLevel.Information, "Backlog of capture store {Store} drained: Ably accepted {Published} change(s) in {Duration} ({Rate} changes/s); the connector has caught up")]
    public static partial void BacklogDrained(ILogger logger, string store, long published, HumanDuration duration, long rate);

    // The Ably REST publisher (3000–3099)
    [LoggerMessage(3000, LogLevel.Debug, "Ably publisher for key {KeyName} uses {Scheme}://{Host}:{Port} with {FallbackCount} fallback host(s)")]
    public static partial void PublisherCreated(ILogger logger, string keyName, string scheme, string host, int port, int fallbackCount);

    [LoggerMessage(3001, LogLevel.Warning, "TLS is disabled (AblyOptions.Tls = false): the API key {KeyName} is sent in clear text to {Host}, which is not a loopback address. Ably's service refuses basic authentication over plain HTTP (40103).")]
    public static partial void InsecureTransport(ILogger logger, string keyName, string host);

    [LoggerMessage(3002, LogLevel.Information, "Ably batch publish to {Host} ({ChannelCount} channel(s), {MessageCount} message(s)) failed: {Error}; retry {Attempt} in {DelayMs} ms")]
    public static partial void RequestRetry(ILogger logger, string host, int channelCount, int messageCount, AblyErrorInfo error, int attempt, long delayMs);

    [LoggerMessage(3003, LogLevel.Warning, "Ably host {FromHost} failed ({Error}); switching to fallback host {ToHost}")]
    public static partial void FallbackSwitch(ILogger logger, string fromHost, string toHost, AblyErrorInfo error);

    [LoggerMessage(3004, LogLevel.Information, "Ably fallback host {Host} answered; using it for the next {Minutes} minute(s)")]
    public static partial void FallbackSticky(ILogger logger, string host, double minutes);

    [LoggerMessage(3005, LogLevel.Information, "Returning from Ably fallback host {Host} to the primary host {PrimaryHost}")]
    public static partial void FallbackExpired(ILogger logger, string host, string primaryHost);

    [LoggerMessage(3006, LogLevel.Warning, "Ably rate limit on {Scope}: {Error}; retrying in {DelayMs} ms")]
    public static partial void PublisherRateLimited(ILogger logger, string scope, AblyErrorInfo error, long delayMs);

    [LoggerMessage(3007, LogLevel.Information, "Ably refused channel {Channel} for now ({Error}); retry {Attempt} in {DelayMs} ms")]
    public static partial void PublisherChannelRetry(ILogger logger, string channel, AblyErrorInfo error, int attempt, long delayMs);

    [LoggerMessage(3008, LogLevel.Warning, "Ably rejected message {MessageIndex} (id {MessageId}) of channel {Channel}: {Error}; {AcceptedCount} earlier message(s) were accepted")]
    public static partial void MessageRejected(ILogger logger, string channel, int messageIndex, string? messageId, AblyErrorInfo error, int acceptedCount);

    [LoggerMessage(3009, LogLevel.Error, "Ably refused the credentials of key {KeyName} ({Error}); {ChannelCount} channel(s) not published. Check AblyOptions.ApiKey and the key's capabilities.")]
    public static partial void PublisherUnauthorized(ILogger logger, string keyName, AblyErrorInfo error, int channelCount);

    [LoggerMessage(3010, LogLevel.Information, "Ably refused a batch publish request of {ChannelCount} channel(s) as a whole ({Error}); resending each channel alone to find the offending message")]
    public static partial void PublisherIsolating(ILogger logger, int channelCount, AblyErrorInfo error);

    [LoggerMessage(3011, LogLevel.Debug, "Ably refused {Count} message(s) of channel {Channel} from index {Start} ({Error}); retrying with at most {NewLimit} per request to find the offending message")]
    public static partial void PublisherSplitting(ILogger logger, string channel, int start, int count, AblyErrorInfo error, int newLimit);

    [LoggerMessage(3012, LogLevel.Warning, "Ably publish retries used up the budget of {BudgetMs} ms (elapsed {ElapsedMs} ms); {ChannelCount} channel(s) left to retry later. Last error: {Error}")]
    public static partial void RetryBudgetExhausted(ILogger logger, long budgetMs, long elapsedMs, int channelCount, AblyErrorInfo error);

    [LoggerMessage(3013, LogLevel.Error, "Ably endpoint {Host} answered {Error}, which is neither success nor a message rejection; is AblyOptions.RestHost/Port right? {ChannelCount} channel(s) left to retry later.")]
    public static partial void UnexpectedResponse(ILogger logger, string host, AblyErrorInfo error, int channelCount);

    [LoggerMessage(3014, LogLevel.Trace, "Ably batch publish to {Host}: {ChannelCount} channel(s), {MessageCount} message(s), {Bytes} bytes, {ElapsedMs:F1} ms")]
    public static partial void BatchPublished(ILogger logger, string host, int channelCount, int messageCount, int bytes, double elapsedMs);

    [LoggerMessage(3015, LogLevel.Warning, "Message {MessageIndex} (id {MessageId}) of channel {Channel} was not sent: {Error}")]
    public static partial void MessageTooLarge(ILogger logger, string channel, int messageIndex, string? messageId, AblyErrorInfo error);

    // Helpers
    /// <summary>Milliseconds for logs.</summary>
    public static long Ms(TimeSpan value) => (long)Math.Ceiling(value.TotalMilliseconds);
}
