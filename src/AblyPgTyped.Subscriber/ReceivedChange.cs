namespace AblyPgTyped;

/// <summary>A change with where it came from.</summary>
/// <typeparam name="T">The mapped row type.</typeparam>
/// <param name="Channel">The channel the message was published on.</param>
/// <param name="MessageId">The Ably message id (one message may carry a bundle of changes).</param>
/// <param name="EventId">The SSE event id, from which a subscription resumes after a drop.</param>
/// <param name="Change">The typed change.</param>
public sealed record ReceivedChange<T>(string Channel, string? MessageId, string? EventId, Change<T> Change);
