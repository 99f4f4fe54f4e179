using AblyPgTyped.Capture;
using AblyPgTyped.Publishing;

namespace AblyPgTyped.Draining;

/// <summary>A decoded change waiting in its channel's lane, rendered once as a message of its own.</summary>
/// <param name="Change">The decoded change.</param>
/// <param name="Captured">The captured JSON it came from, kept for a dead letter.</param>
/// <param name="Message">The change as a message of its own.</param>
/// <param name="Size">That message's size by Ably's rule.</param>
/// <param name="Row">The capture row it belongs to.</param>
internal sealed record PendingChange(DecodedChange Change, CapturedJson Captured, OutboundMessage Message, int Size, HeldRow Row)
{
    /// <summary>Set when the change travels as two messages (an update that moved its row, and its departure).</summary>
    public ChangeParts? Parts { get; init; }

    public DeadLetter DeadLetter(string channel, string reason) => new(
        Change.Position, Change.Mapping.Schema, Change.Mapping.TableName, ChangeDecoder.OpOf(Change.Kind), channel, reason, Captured.ToString(), DeadLetterCause.Rejected);
}
