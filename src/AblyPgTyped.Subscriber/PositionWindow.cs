using System;
using System.Collections.Generic;

namespace AblyPgTyped;

/// <summary>
/// The positions of the changes delivered lately, per channel, so a change that arrives again is dropped: after a
/// connector crash a bundle may be cut differently and re-sent under a new id, its changes with their positions. A
/// position is unique on its channel (an update and the delete its row's old channel hears share one, on two
/// channels). Positions are not monotonic on a channel (a transaction that commits late publishes a lower one later),
/// so a set of the recent ones is kept rather than the highest.
/// </summary>
internal sealed class PositionWindow(int capacityPerChannel)
{
    private readonly Dictionary<string, (HashSet<ChangePosition> Seen, Queue<ChangePosition> Order)> _channels = new(StringComparer.Ordinal);

    /// <summary>Records the position; false when the channel delivered it already.</summary>
    public bool Add(string channel, ChangePosition position)
    {
        if (!_channels.TryGetValue(channel, out var window))
        {
            _channels[channel] = window = ([], new Queue<ChangePosition>());
        }

        if (!window.Seen.Add(position))
        {
            return false;
        }

        window.Order.Enqueue(position);
        if (window.Order.Count > capacityPerChannel)
        {
            window.Seen.Remove(window.Order.Dequeue());
        }

        return true;
    }
}
