using System;
using System.Collections.Generic;
using AblyPgTyped.Publishing;

namespace AblyPgTyped.Draining;

/// <summary>
/// One channel's way to Ably: its changes in position order, its own pace (Ably's per-channel message rate), at most
/// one request in flight, and its own backoff. A channel that is throttled or failing delays only itself.
/// Changed only under <see cref="PublishScheduler"/>'s lock.
/// </summary>
internal sealed class ChannelLane(string channel, RateBudget budget)
{
    private readonly List<PendingChange> _queue = [];
    private int _head;

    public string Channel { get; } = channel;

    /// <summary>What the metrics name the channel by: its template (<c>users:{Id}</c>), so per-row channels stay few.</summary>
    public string Destination { get; init; } = channel;

    /// <summary>The channel's message rate, as Ably enforces it.</summary>
    public RateBudget Budget { get; } = budget;

    /// <summary>Changes waiting, the first ones possibly in flight.</summary>
    public int Count => _queue.Count - _head;

    public PendingChange this[int index] => _queue[_head + index];

    /// <summary>Whether a request carrying this lane is in flight.</summary>
    public bool Sending { get; set; }

    /// <summary>The chunk whose fate is unknown (a timeout, a 5xx): it is sent again byte for byte, so Ably de-duplicates it.</summary>
    public LaneChunk? Retained { get; set; }

    /// <summary>While its first changes, recorded as one chunk before a restart, are still being read: until when it waits for them.</summary>
    public long RestoreBy { get; set; }

    /// <summary>Timestamp before which the lane must not send (its backoff).</summary>
    public long NotBefore { get; set; }

    /// <summary>Failed attempts since the last success, for the backoff.</summary>
    public int Failures { get; set; }

    /// <summary>Most messages per request; halved while a refused message is being isolated, or after a 429.</summary>
    public int MaxMessages { get; set; } = int.MaxValue;

    /// <summary>Most changes per bundle; halved while a refused bundle is being isolated.</summary>
    public int MaxBundle { get; set; } = int.MaxValue;

    /// <summary>While true the lane travels in a request of its own (it is suspected of a request-level refusal).</summary>
    public bool Solo { get; set; }

    /// <summary>The lane's place in the scheduler's list of lanes with work; -1 when not listed.</summary>
    public int ListIndex { get; set; } = -1;

    /// <summary>When a backlog on this channel was last reported.</summary>
    public long LastWarned { get; set; }

    /// <summary>The lane has nothing to do: it may be dropped.</summary>
    public bool IsIdle => Count == 0 && !Sending && Retained is null;

    /// <summary>How many of the first waiting changes the lane's last chunk took (in flight, or retained for a re-send).</summary>
    public int InChunk { get; set; }

    /// <summary>
    /// Adds a change in position order among those no chunk took yet: one the trigger store yields late (its transaction
    /// committed after higher store ids were read) goes before them, so a chunk's changes are always in position order,
    /// as a restarted drain reads them (see <see cref="CutJournal"/>).
    /// </summary>
    public void Enqueue(PendingChange change)
    {
        var at = _queue.Count;
        var floor = _head + InChunk;
        while (at > floor && _queue[at - 1].Change.Position.CompareTo(change.Change.Position) > 0)
        {
            at--;
        }

        _queue.Insert(at, change);
    }

    /// <summary>The <paramref name="count"/> first changes left the lane (accepted or dead-lettered).</summary>
    public void Dequeue(int count)
    {
        InChunk = Math.Max(0, InChunk - count);
        _head += count;
        if (_head == _queue.Count)
        {
            _queue.Clear();
            _head = 0;
        }
        else if (_head > 1024 && _head > _queue.Count / 2)
        {
            _queue.RemoveRange(0, _head);
            _head = 0;
        }
    }

    /// <summary>
    /// Moves the changes among the first <paramref name="count"/> waiting that <paramref name="cut"/> says came late
    /// behind the others, keeping each group's order; returns how many stay in front.
    /// </summary>
    public int PutLateBehind(int count, ChunkCut cut)
    {
        List<PendingChange>? late = null;
        var kept = _head;
        for (var i = _head; i < _head + count; i++)
        {
            var change = _queue[i];
            if (cut.CameLate(change.Change.Position))
            {
                (late ??= []).Add(change);
            }
            else
            {
                _queue[kept++] = change;
            }
        }

        foreach (var change in late ?? [])
        {
            _queue[kept++] = change;
        }

        return count - (late?.Count ?? 0);
    }

    /// <summary>A view of the waiting changes from index 0, for building messages.</summary>
    public IReadOnlyList<PendingChange> Waiting => new Window(this);

    private sealed class Window(ChannelLane lane) : IReadOnlyList<PendingChange>
    {
        public PendingChange this[int index] => lane[index];

        public int Count => lane.Count;

        public IEnumerator<PendingChange> GetEnumerator()
        {
            for (var i = 0; i < lane.Count; i++)
            {
                yield return lane[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
