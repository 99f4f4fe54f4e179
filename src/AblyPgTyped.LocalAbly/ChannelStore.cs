using System;
using System.Collections.Concurrent;
using System.Collections.Generic;

namespace AblyPgTyped.LocalAbly;

/// <summary>All channels seen so far, created on first publish.</summary>
internal sealed class ChannelStore
{
    private readonly LocalAblyOptions _options;
    private readonly Func<string, ChannelState> _factory;
    private ConcurrentDictionary<string, ChannelState> _channels = new(StringComparer.Ordinal);

    public ChannelStore(LocalAblyOptions options)
    {
        _options = options;
        _factory = name => new ChannelState(name, _options);
    }

    public ChannelState GetOrAdd(string name) => _channels.GetOrAdd(name, _factory);

    public ChannelState? TryGet(string name) => _channels.TryGetValue(name, out var state) ? state : null;

    /// <summary>A point-in-time list of the channels.</summary>
    public List<ChannelState> All()
    {
        var list = new List<ChannelState>(_channels.Count);
        foreach (var pair in _channels)
        {
            list.Add(pair.Value);
        }

        return list;
    }

    public void Clear() => _channels = new ConcurrentDictionary<string, ChannelState>(StringComparer.Ordinal);
}
