namespace AblyPgTyped.Draining;

/// <summary>
/// What one request carries for one lane: the lane's first <see cref="ChangeCount"/> changes as
/// <see cref="MessageCount"/> messages (<see cref="BundleCount"/> of them bundles of several changes), already
/// serialized as one batch spec.
/// </summary>
internal sealed record LaneChunk(ChannelLane Lane, int ChangeCount, int MessageCount, byte[] Spec, int BundleCount = 0)
{
    /// <summary>How the chunk is cut into messages, for the <see cref="CutJournal"/>; null when nothing is bundled.</summary>
    public ChunkCut? Cut { get; init; }
}
