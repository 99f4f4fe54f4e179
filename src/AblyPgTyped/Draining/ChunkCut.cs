namespace AblyPgTyped.Draining;

/// <summary>
/// How one chunk of a lane was cut into messages: the positions of its first and last changes, and how many changes
/// each of its messages carries, in order. <see cref="CutJournal"/> records it before the chunk is sent.
/// </summary>
/// <param name="Channel">The lane's channel.</param>
/// <param name="First">The chunk's first change.</param>
/// <param name="FirstMoved">Whether that change is the departure of an update that moved its row (it shares the update's position).</param>
/// <param name="Last">The chunk's last change.</param>
/// <param name="Counts">Changes per message.</param>
internal sealed record ChunkCut(string Channel, ChangePosition First, bool FirstMoved, ChangePosition Last, int[] Counts)
{
    /// <summary>
    /// The store ids up to its last change that a transaction still open when it was cut might yet fill (inclusive
    /// ranges): a change found there later was not in it. Empty with a slot (commit order); null when that is not known.
    /// </summary>
    public (long Low, long High)[]? Unread { get; init; }

    /// <summary>
    /// Whether every change between its first and last that is not in <see cref="Unread"/> was in it. Only then does a
    /// chunk whose first changes are done after a restart prove it was accepted whole.
    /// </summary>
    public bool Settled => Unread is not null;

    /// <summary>Whether the change at <paramref name="position"/> may have been filled in after the cut, so was not in it.</summary>
    public bool CameLate(ChangePosition position)
    {
        foreach (var (low, high) in Unread ?? [])
        {
            if (position.CaptureId >= low && position.CaptureId <= high)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Set once the cut is durably recorded, so a chunk sent again byte for byte is not recorded twice.</summary>
    public bool Recorded { get; set; }

    /// <summary>The changes the chunk carries.</summary>
    public int ChangeCount
    {
        get
        {
            var total = 0;
            foreach (var count in Counts)
            {
                total += count;
            }

            return total;
        }
    }
}
