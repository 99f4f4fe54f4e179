using System.Collections.Generic;
using AblyPgTyped.Capture;

namespace AblyPgTyped.Draining;

/// <summary>
/// A change that travels as two messages: an update that moved its row to another per-row channel goes to the new
/// channel, and its departure (a delete) to the old one. The change is finished, and may be marked in the store, only
/// when both are; a dead letter of one waits here until then. Changed under <see cref="DrainProgress"/>'s lock.
/// </summary>
internal sealed class ChangeParts
{
    /// <summary>Messages of the change not finished yet.</summary>
    public int Remaining { get; set; } = 2;

    /// <summary>Dead letters of finished parts, held until the last part finishes.</summary>
    public List<DeadLetter>? DeadLetters { get; set; }
}
