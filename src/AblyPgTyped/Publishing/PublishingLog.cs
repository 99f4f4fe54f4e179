using System;
using Microsoft.Extensions.Logging;

namespace AblyPgTyped.Publishing;

/// <summary>
/// Log events of the Ably publisher (event ids 3000–3099). Arguments never include the API key secret: only the key
/// name, hosts, channels, counts and Ably error codes/messages (which are redacted before they get here).
/// </summary>
internal static partial class PublishingLog
{
    [LoggerMessage(EventId = 3000, EventName = "AblyPublisherCreated", Level = LogLevel.Debug,
        Message = "Ably publisher for key {KeyName} uses {Scheme}://{Host}:{Port} with {FallbackCount} fallback host(s)")]
    public static partial void PublisherCreated(this ILogger logger, string keyName, string scheme, string host, int port, int fallbackCount);

    [LoggerMessage(EventId = 3001, EventName = "AblyInsecureTransport", Level = LogLevel.Warning,
        Message = "TLS is disabled (AblyOptions.Tls = false): the API key {KeyName} is sent in clear text to {Host}, which is not a loopback address. Ably's service refuses basic authentication over plain HTTP (40103).")]
    public static partial void InsecureTransport(this ILogger logger, string keyName, string host);

    [LoggerMessage(EventId = 3002, EventName = "AblyRequestRetry", Level = LogLevel.Information,
        Message = "Ably batch publish to {Host} ({ChannelCount} channel(s), {MessageCount} message(s)) failed: {Error}; retry {Attempt} in {DelayMs} ms")]
    public static partial void RequestRetry(this ILogger logger, string host, int channelCount, int messageCount, AblyErrorInfo error, int attempt, long delayMs);

    [LoggerMessage(EventId = 3003, EventName = "AblyFallbackSwitch", Level = LogLevel.Warning,
        Message = "Ably host {FromHost} failed ({Error}); switching to fallback host {ToHost}")]
    public static partial void FallbackSwitch(this ILogger logger, string fromHost, string toHost, AblyErrorInfo error);

    [LoggerMessage(EventId = 3004, EventName = "AblyFallbackSticky", Level = LogLevel.Information,
        Message = "Ably fallback host {Host} answered; using it for the next {Minutes} minute(s)")]
    public static partial void FallbackSticky(this ILogger logger, string host, double minutes);

    [LoggerMessage(EventId = 3005, EventName = "AblyFallbackExpired", Level = LogLevel.Information,
        Message = "Returning from Ably fallback host {Host} to the primary host {PrimaryHost}")]
    public static partial void FallbackExpired(this ILogger logger, string host, string primaryHost);

    [LoggerMessage(EventId = 3006, EventName = "AblyRateLimited", Level = LogLevel.Warning,
        Message = "Ably rate limit on {Scope}: {Error}; retrying in {DelayMs} ms")]
    public static partial void RateLimited(this ILogger logger, string scope, AblyErrorInfo error, long delayMs);

    [LoggerMessage(EventId = 3007, EventName = "AblyChannelRetry", Level = LogLevel.Information,
        Message = "Ably refused channel {Channel} for now ({Error}); retry {Attempt} in {DelayMs} ms")]
    public static partial void ChannelRetry(this ILogger logger, string channel, AblyErrorInfo error, int attempt, long delayMs);

    [LoggerMessage(EventId = 3008, EventName = "AblyMessageRejected", Level = LogLevel.Warning,
        Message = "Ably rejected message {MessageIndex} (id {MessageId}) of channel {Channel}: {Error}; {AcceptedCount} earlier message(s) were accepted")]
    public static partial void MessageRejected(this ILogger logger, string channel, int messageIndex, string? messageId, AblyErrorInfo error, int acceptedCount);

    [LoggerMessage(EventId = 3009, EventName = "AblyUnauthorized", Level = LogLevel.Error,
        Message = "Ably refused the credentials of key {KeyName} ({Error}); {ChannelCount} channel(s) not published. Check AblyOptions.ApiKey and the key's capabilities.")]
    public static partial void Unauthorized(this ILogger logger, string keyName, AblyErrorInfo error, int channelCount);

    [LoggerMessage(EventId = 3010, EventName = "AblyIsolating", Level = LogLevel.Information,
        Message = "Ably refused a batch publish request of {ChannelCount} channel(s) as a whole ({Error}); resending each channel alone to find the offending message")]
    public static partial void Isolating(this ILogger logger, int channelCount, AblyErrorInfo error);

    [LoggerMessage(EventId = 3011, EventName = "AblySplitting", Level = LogLevel.Debug,
        Message = "Ably refused {Count} message(s) of channel {Channel} from index {Start} ({Error}); retrying with at most {NewLimit} per request to find the offending message")]
    public static partial void Splitting(this ILogger logger, string channel, int start, int count, AblyErrorInfo error, int newLimit);

    [LoggerMessage(EventId = 3012, EventName = "AblyRetryBudgetExhausted", Level = LogLevel.Warning,
        Message = "Ably publish retries used up the budget of {BudgetMs} ms (elapsed {ElapsedMs} ms); {ChannelCount} channel(s) left to retry later. Last error: {Error}")]
    public static partial void RetryBudgetExhausted(this ILogger logger, long budgetMs, long elapsedMs, int channelCount, AblyErrorInfo error);

    [LoggerMessage(EventId = 3013, EventName = "AblyUnexpectedResponse", Level = LogLevel.Error,
        Message = "Ably endpoint {Host} answered {Error}, which is neither success nor a message rejection; is AblyOptions.RestHost/Port right? {ChannelCount} channel(s) left to retry later.")]
    public static partial void UnexpectedResponse(this ILogger logger, string host, AblyErrorInfo error, int channelCount);

    [LoggerMessage(EventId = 3014, EventName = "AblyBatchPublished", Level = LogLevel.Trace,
        Message = "Ably batch publish to {Host}: {ChannelCount} channel(s), {MessageCount} message(s), {Bytes} bytes, {ElapsedMs:F1} ms")]
    public static partial void BatchPublished(this ILogger logger, string host, int channelCount, int messageCount, int bytes, double elapsedMs);

    [LoggerMessage(EventId = 3015, EventName = "AblyMessageTooLarge", Level = LogLevel.Warning,
        Message = "Message {MessageIndex} (id {MessageId}) of channel {Channel} was not sent: {Error}")]
    public static partial void MessageTooLarge(this ILogger logger, string channel, int messageIndex, string? messageId, AblyErrorInfo error);

    /// <summary>Milliseconds for logs.</summary>
    public static long Ms(TimeSpan value) => (long)Math.Ceiling(value.TotalMilliseconds);
}
