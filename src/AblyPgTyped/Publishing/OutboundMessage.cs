using System.Collections.Generic;

namespace AblyPgTyped.Publishing;

/// <summary>
/// One message to publish. <paramref name="Data"/> is JSON text sent as an Ably string with <c>"encoding":"json"</c>
/// (the way Ably SDKs send object data); <paramref name="Headers"/>, when not empty, go to <c>extras.headers</c>.
/// <paramref name="Id"/> is the idempotency key: Ably's batch publish de-duplicates each id on its own, so a retry
/// (same ids) never delivers a message twice.
/// </summary>
/// <param name="Id">Client-chosen message id, stable across retries.</param>
/// <param name="Name">Message name (event name).</param>
/// <param name="Data">Payload as JSON text.</param>
/// <param name="Headers">Optional <c>extras.headers</c>.</param>
internal sealed record OutboundMessage(string Id, string Name, string Data, IReadOnlyDictionary<string, string>? Headers)
{
    /// <summary>
    /// True (the default): <see cref="Data"/> is JSON text, sent with <c>"encoding":"json"</c> so subscribers get the
    /// decoded value. False: <see cref="Data"/> is sent as a plain string (no encoding), so subscribers get the text itself.
    /// The size by Ably's rule is the same either way.
    /// </summary>
    public bool DataIsJson { get; init; } = true;
}

/// <summary>Messages for one channel, in the order they must reach Ably.</summary>
/// <param name="Channel">Channel name.</param>
/// <param name="Messages">The messages, oldest first.</param>
internal sealed record ChannelBatch(string Channel, IReadOnlyList<OutboundMessage> Messages);
