namespace AblyPgTyped.Observability;

/// <summary>
/// Instrument and attribute names, in one place for the code, the tests and the README's table. Where OpenTelemetry's
/// messaging semantic conventions name a thing, their name is used.
/// </summary>
internal static class TelemetryNames
{
    public const string OperationDuration = "messaging.client.operation.duration";
    public const string SentMessages = "messaging.client.sent.messages";
    public const string ChangesRead = "ablypg.changes.read";
    public const string ChangesPublished = "ablypg.changes.published";
    public const string BundlesSent = "ablypg.bundles.sent";
    public const string RateLimited = "ablypg.publish.rate_limited";
    public const string Retries = "ablypg.publish.retries";
    public const string DeadLetters = "ablypg.dead_letters";
    public const string Lag = "ablypg.publish.lag";
    public const string Backlog = "ablypg.store.backlog";
    public const string OldestChangeAge = "ablypg.store.oldest_change.age";
    public const string StoreSize = "ablypg.store.size";
    public const string Active = "ablypg.connector.active";
    public const string Health = "ablypg.connector.health";

    /// <summary>Reserved for the logical-replication capture mode: registered through <see cref="ISlotLagSource"/>.</summary>
    public const string SlotLag = "ablypg.replication_slot.lag";

    /// <summary>Reserved as <see cref="SlotLag"/>.</summary>
    public const string SlotLagTime = "ablypg.replication_slot.lag_time";

    public const string MessagingSystem = "messaging.system";
    public const string OperationName = "messaging.operation.name";
    public const string OperationType = "messaging.operation.type";
    public const string Destination = "messaging.destination.name";
    public const string BatchMessageCount = "messaging.batch.message_count";
    public const string ServerAddress = "server.address";
    public const string ErrorType = "error.type";
    public const string DatabaseName = "db.namespace";
    public const string CaptureSchema = "ablypg.capture_schema";
    public const string RateLimitScope = "ablypg.rate_limit.scope";
    public const string RetryReason = "ablypg.retry.reason";
    public const string DeadLetterReason = "ablypg.dead_letter.reason";
    public const string Outcome = "ablypg.publish.outcome";
    public const string ChannelCount = "ablypg.publish.channel_count";
    public const string ChangeCount = "ablypg.publish.change_count";

    public const string Ably = "ably";
    public const string Publish = "publish";
    public const string Send = "send";
}
