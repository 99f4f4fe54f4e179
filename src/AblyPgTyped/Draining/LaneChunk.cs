using System;
using AblyPgTyped.Publishing;

namespace AblyPgTyped.Draining;

/// <summary>
/// What one request carries for one lane: the lane's first <see cref="ChangeCount"/> changes as
/// <see cref="MessageCount"/> messages (<see cref="BundleCount"/> of them bundles of several changes), already
/// serialized as one batch spec.
/// </summary>
/// <remarks>
/// The spec lives in a pooled array, returned by <see cref="Release"/> once the chunk is neither in flight nor retained
/// for a re-send: a channel's spec is up to a message's size limit (64 KiB of data and more as JSON, 256 KiB under Pro),
/// which as an array of its own per request would go to the large object heap, collected only with generation 2.
/// </remarks>
internal sealed class LaneChunk(ChannelLane lane, int changeCount, int messageCount, PooledBufferWriter spec, int bundleCount = 0)
{
    private bool _released;

    public ChannelLane Lane { get; } = lane;

    public int ChangeCount { get; } = changeCount;

    public int MessageCount { get; } = messageCount;

    public int BundleCount { get; } = bundleCount;

    /// <summary>How the chunk is cut into messages, for the <see cref="CutJournal"/>; null when nothing is bundled.</summary>
    public ChunkCut? Cut { get; init; }

    /// <summary>The serialized batch spec; the same bytes each time the chunk is sent, so Ably de-duplicates a re-send.</summary>
    public ReadOnlySpan<byte> Spec
    {
        get
        {
            ObjectDisposedException.ThrowIf(_released, this);
            return spec.WrittenSpan;
        }
    }

    /// <summary>Returns the spec's array to the pool: the chunk will not be sent again.</summary>
    public void Release()
    {
        if (!_released)
        {
            _released = true;
            spec.Dispose();
        }
    }
}
