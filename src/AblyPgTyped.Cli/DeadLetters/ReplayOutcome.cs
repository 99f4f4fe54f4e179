using System.Collections.Generic;
using AblyPgTyped.Cli.Status;

namespace AblyPgTyped.Cli.DeadLetters;

/// <summary>What a replay did: which letters went back into the store, where, and which stayed, and why.</summary>
internal sealed class ReplayOutcome(bool inPlace, LeaderStatus connector)
{
    /// <summary>Whether no connector was active, so the changes went back to their original positions.</summary>
    public bool InPlace { get; } = inPlace;

    /// <summary>The connector that was active (when not <see cref="InPlace"/>).</summary>
    public LeaderStatus Connector { get; } = connector;

    public List<DeadLetter> Replayed { get; } = [];

    /// <summary>Letters that cannot be replayed: capture never recorded their row.</summary>
    public List<DeadLetter> Left { get; } = [];

    /// <summary>Letters whose original position is taken in the store (another letter of the same position went first).</summary>
    public List<DeadLetter> Conflicts { get; } = [];

    /// <summary>Every letter the selection picked.</summary>
    public HashSet<long> Seen { get; } = [];

    /// <summary>The first and last new store rows, when appended.</summary>
    public long? FirstNewRow { get; set; }

    public long? LastNewRow { get; set; }
}
