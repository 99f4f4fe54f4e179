using System;

namespace AblyPgTyped.Publishing;

/// <summary>Outcome of one channel's batch in <see cref="AblyRestPublisher.PublishAsync"/>.</summary>
internal enum PublishStatus
{
    /// <summary>Every message reached Ably (or was already there: duplicates of earlier publishes are dropped by Ably).</summary>
    Accepted,

    /// <summary>
    /// A transient failure (network, timeout, 5xx, rate limit) outlasted the retry budget, or the endpoint answered in a
    /// way that does not condemn the messages (e.g. 404 from a mis-configured host). Publish the messages from
    /// <see cref="ChannelPublishResult.AcceptedCount"/> on again later, with the same ids.
    /// </summary>
    RetryLater,

    /// <summary>
    /// Ably refused the message at <see cref="ChannelPublishResult.RejectedMessageIndex"/> for good (bad channel name,
    /// too large, invalid id, capability…). Messages before it were accepted; messages after it were not sent.
    /// </summary>
    Rejected,

    /// <summary>
    /// The credentials were refused (401/403). Nothing after <see cref="ChannelPublishResult.AcceptedCount"/> was
    /// accepted; pause and keep the data rather than dead-lettering it.
    /// </summary>
    Unauthorized,
}

/// <summary>What happened to one channel's batch.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="Status">The outcome.</param>
/// <param name="Error">The error behind a status other than <see cref="PublishStatus.Accepted"/> (the last one seen for
/// <see cref="PublishStatus.RetryLater"/>); null when accepted.</param>
/// <param name="RejectedMessageIndex">For <see cref="PublishStatus.Rejected"/>: index (in <see cref="ChannelBatch.Messages"/>)
/// of the refused message; always equal to <paramref name="AcceptedCount"/>.</param>
/// <param name="RetryAfter">For <see cref="PublishStatus.RetryLater"/>: the delay the server asked for (<c>Retry-After</c>), when it gave one.</param>
/// <param name="AcceptedCount">How many leading messages of the batch reached Ably (all of them when accepted). Messages
/// of a channel are accepted strictly in order, so this is always a prefix.</param>
internal sealed record ChannelPublishResult(
    string Channel,
    PublishStatus Status,
    AblyErrorInfo? Error,
    int? RejectedMessageIndex = null,
    TimeSpan? RetryAfter = null,
    int AcceptedCount = 0);
