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
