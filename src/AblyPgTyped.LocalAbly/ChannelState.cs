using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading;

namespace AblyPgTyped.LocalAbly;

/// <summary>Everything one channel needs to accept a publish: what it is, when, and how it is de-duplicated.</summary>
internal readonly record struct ChannelPublish(
    List<IncomingMessage> Messages,
    string[] Ids,
    DedupMode Mode,
    string? GroupKey,
    PublishKind Kind,
    DateTimeOffset Now,
    long NowStopwatch,
    string? ConnectionId = null);

/// <summary>Result of publishing to one channel: per-message serials (null = dropped duplicate) and the accepted messages, or the channel's rate-limit refusal.</summary>
internal readonly record struct ChannelPublishResult(string?[] Serials, ReceivedMessage[] Accepted, int Duplicates, AblyException? Error);

/// <summary>
/// One channel: bounded history ring, idempotency keys, rate bucket and counters. All mutation happens under a
/// per-channel lock, so channels never contend with each other.
/// </summary>
internal sealed class ChannelState
{
    private readonly object _gate = new();
    private readonly int _maxHistory;
    private readonly int _maxDedupKeys;
    private readonly long _dedupWindowTicks;
    private readonly Dictionary<string, long> _dedupKeys = new(StringComparer.Ordinal);
    private readonly Queue<(string Key, long AcceptedAt)> _dedupOrder = new();
    private ReceivedMessage[] _ring = new ReceivedMessage[16];
    private int _head;
    private int _count;
    private readonly TokenBucket _rate = new();
    private long _sequence;

    private long _accepted;
    private long _duplicates;
    private long _rejected;
    private long _publishRequests;

    public ChannelState(string name, LocalAblyOptions options)
    {
        Name = name;
        Incarnation = MessageIds.NewIncarnation();
        _maxHistory = options.MaxHistoryPerChannel;
        _maxDedupKeys = options.MaxDedupKeysPerChannel;
        _dedupWindowTicks = (long)(options.DedupWindow.TotalSeconds * Stopwatch.Frequency);
        if (_ring.Length > _maxHistory)
        {
            _ring = new ReceivedMessage[_maxHistory];
        }
    }

    public string Name { get; }

    /// <summary>Random per instance: a channel serial from before a reset (a new instance) is recognised as foreign.</summary>
    public string Incarnation { get; }

    public long AcceptedCount => Interlocked.Read(ref _accepted);

    public long DuplicateCount => Interlocked.Read(ref _duplicates);

    public long RejectedCount => Interlocked.Read(ref _rejected);

    public long PublishRequestCount => Interlocked.Read(ref _publishRequests);

    public int RetainedCount
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    public void CountRejected(int messages) => Interlocked.Add(ref _rejected, messages);

    /// <summary>
    /// How many messages of <paramref name="publish"/> would be new (not duplicates) now, to reserve the account's
    /// message budget before anything is stored. A repeat of an id inside the same publish counts as new here; the
    /// reservation is settled with the exact count afterwards.
    /// </summary>
    public int CountFresh(in ChannelPublish publish)
    {
        var n = publish.Messages.Count;
        if (publish.Mode == DedupMode.None)
        {
            return n;
        }

        lock (_gate)
        {
            PruneDedup(publish.NowStopwatch);
            if (publish.Mode == DedupMode.Group)
            {
                return _dedupKeys.ContainsKey(publish.GroupKey!) ? 0 : n;
            }

            var fresh = n;
            for (var i = 0; i < n; i++)
            {
                if (publish.Messages[i].Id is not null && _dedupKeys.ContainsKey(publish.Ids[i]))
                {
                    fresh--;
                }
            }

            return fresh;
        }
    }

    /// <summary>
    /// Applies idempotency and the channel's rate limit, then stores the new messages. Only new messages take tokens,
    /// all at once or none (a refused publish stores nothing).
    /// </summary>
    public ChannelPublishResult Publish(in ChannelPublish publish, ServerCore core)
    {
        Interlocked.Increment(ref _publishRequests);
        var messages = publish.Messages;
        var n = messages.Count;
        var serials = new string?[n];
        ReceivedMessage[] accepted;
        var duplicates = 0;
        var receivedAtMs = publish.Now.ToUnixTimeMilliseconds();
        var rateLimit = core.Rates.ChannelMessagesPerSecond;

        lock (_gate)
        {
            PruneDedup(publish.NowStopwatch);

            // Phase 1: mark duplicates. Keys are inserted tentatively so repeats inside the same publish count too,
            // and removed again if the rate limit refuses the publish.
            bool[]? isDuplicate = null;
            List<string>? tentative = null;
            if (publish.Mode == DedupMode.Group)
            {
                if (_dedupKeys.ContainsKey(publish.GroupKey!))
                {
                    isDuplicate = new bool[n];
                    Array.Fill(isDuplicate, true);
                    duplicates = n;
                }
                else
                {
                    _dedupKeys[publish.GroupKey!] = publish.NowStopwatch;
                    tentative = new List<string>(1) { publish.GroupKey! };
                }
            }
            else if (publish.Mode == DedupMode.PerMessage)
            {
                for (var i = 0; i < n; i++)
                {
                    if (messages[i].Id is null)
                    {
                        continue; // server-assigned ids are never retried, so never de-duplicated
                    }

                    var key = publish.Ids[i];
                    if (!_dedupKeys.TryAdd(key, publish.NowStopwatch))
                    {
                        isDuplicate ??= new bool[n];
                        isDuplicate[i] = true;
                        duplicates++;
                    }
                    else
                    {
                        (tentative ??= new List<string>(n)).Add(key);
                    }
                }
            }

            var fresh = n - duplicates;
            if (rateLimit is { } limit && fresh > 0 && !_rate.TryTake(fresh, limit, out var wait))
            {
                if (tentative is not null)
                {
                    foreach (var key in tentative)
                    {
                        _dedupKeys.Remove(key);
                    }
                }

                Interlocked.Add(ref _rejected, n);
                return new ChannelPublishResult(serials, Array.Empty<ReceivedMessage>(), 0, core.Rates.ChannelRefused(Name, limit, fresh, wait));
            }

            if (tentative is not null)
            {
                foreach (var key in tentative)
                {
                    _dedupOrder.Enqueue((key, publish.NowStopwatch));
                }

                TrimDedupToCapacity();
            }

            accepted = fresh == 0 ? Array.Empty<ReceivedMessage>() : new ReceivedMessage[fresh];
            var global = core.ReserveGlobalSequence(fresh);
            var next = 0;
            for (var i = 0; i < n; i++)
            {
                if (isDuplicate is not null && isDuplicate[i])
                {
                    continue;
                }

                var incoming = messages[i];
                var sequence = ++_sequence;
                var serial = FormatSerial(sequence, receivedAtMs);
                var message = new ReceivedMessage(
                    Name,
                    publish.Ids[i],
                    incoming.Name,
                    incoming.ClientId,
                    incoming.Encoding,
                    incoming.Data,
                    incoming.Extras,
                    incoming.Size,
                    publish.Kind,
                    sequence,
                    ++global,
                    serial,
                    publish.Now,
                    publish.NowStopwatch,
                    publish.ConnectionId);
                serials[i] = serial;
                accepted[next++] = message;
                Append(message);
                core.Recorded.Add(message);
            }

            Interlocked.Add(ref _accepted, fresh);
            Interlocked.Add(ref _duplicates, duplicates);
        }

        return new ChannelPublishResult(serials, accepted, duplicates, null);
    }

    /// <summary>Copies the retained history, oldest first.</summary>
    public ReceivedMessage[] Snapshot()
    {
        lock (_gate)
        {
            var copy = new ReceivedMessage[_count];
            for (var i = 0; i < _count; i++)
            {
                copy[i] = _ring[(_head + i) % _ring.Length];
            }

            return copy;
        }
    }

    /// <summary>One history page. <paramref name="cursor"/> is an exclusive channel-sequence bound (0 = none).</summary>
    public List<ReceivedMessage> Query(bool backwards, int limit, long? start, long? end, long cursor, out bool hasMore)
    {
        var page = new List<ReceivedMessage>(Math.Min(limit, 64));
        hasMore = false;
        lock (_gate)
        {
            for (var step = 0; step < _count; step++)
            {
                var offset = backwards ? _count - 1 - step : step;
                var message = _ring[(_head + offset) % _ring.Length];
                if (cursor > 0 && (backwards ? message.ChannelSequence >= cursor : message.ChannelSequence <= cursor))
                {
                    continue;
                }

                var timestamp = message.ReceivedAtUnixMs;
                if ((start is { } from && timestamp < from) || (end is { } to && timestamp > to))
                {
                    continue;
                }

                if (page.Count == limit)
                {
                    hasMore = true;
                    break;
                }

                page.Add(message);
            }
        }

        return page;
    }

    /// <summary>The sequence of the newest accepted message (0 before the first).</summary>
    public long LastSequence
    {
        get
        {
            lock (_gate)
            {
                return _sequence;
            }
        }
    }

    /// <summary>
    /// Up to <paramref name="max"/> retained messages with a sequence above <paramref name="afterSequence"/>, oldest first.
    /// Sequences are contiguous, so <paramref name="gap"/> is true when messages right after the cursor were already evicted.
    /// </summary>
    public List<ReceivedMessage> ReadAfter(long afterSequence, int max, out bool gap)
    {
        var read = new List<ReceivedMessage>();
        lock (_gate)
        {
            gap = false;
            if (_count == 0 || afterSequence >= _sequence)
            {
                return read;
            }

            var oldest = _ring[_head].ChannelSequence;
            var from = afterSequence + 1;
            if (from < oldest)
            {
                gap = true;
                from = oldest;
            }

            for (var sequence = from; sequence <= _sequence && read.Count < max; sequence++)
            {
                read.Add(_ring[(_head + (int)(sequence - oldest)) % _ring.Length]);
            }
        }

        return read;
    }

    /// <summary>True when every message after <paramref name="cursor"/> is still retained (none was evicted).</summary>
    public bool Covers(long cursor)
    {
        lock (_gate)
        {
            return _count == 0 ? cursor >= _sequence : cursor + 1 >= _ring[_head].ChannelSequence;
        }
    }

    /// <summary>
    /// The cursor (a sequence to read after) that replays the last <paramref name="count"/> messages, or those accepted
    /// at or after <paramref name="sinceUnixMs"/>, from retained history.
    /// </summary>
    public long RewindCursor(int? count, long? sinceUnixMs)
    {
        lock (_gate)
        {
            var cursor = _sequence;
            for (var i = _count - 1; i >= 0; i--)
            {
                var message = _ring[(_head + i) % _ring.Length];
                if ((count is { } n && _sequence - message.ChannelSequence >= n) || (sinceUnixMs is { } since && message.ReceivedAtUnixMs < since))
                {
                    break;
                }

                cursor = message.ChannelSequence - 1;
            }

            return cursor;
        }
    }

    /// <summary><c>&lt;12-digit channel sequence&gt;@&lt;ms&gt;</c>: sorts in channel order; one allocation.</summary>
    private static string FormatSerial(long sequence, long receivedAtMs) =>
        string.Create(CultureInfo.InvariantCulture, stackalloc char[48], $"{sequence:D12}@{receivedAtMs}");

    private void Append(ReceivedMessage message)
    {
        if (_count < _ring.Length)
        {
            _ring[(_head + _count) % _ring.Length] = message;
            _count++;
            return;
        }

        if (_ring.Length < _maxHistory)
        {
            var grown = new ReceivedMessage[Math.Min(_maxHistory, _ring.Length * 2)];
            for (var i = 0; i < _count; i++)
            {
                grown[i] = _ring[(_head + i) % _ring.Length];
            }

            _ring = grown;
            _head = 0;
            _ring[_count++] = message;
            return;
        }

        // Full: overwrite the oldest.
        _ring[_head] = message;
        _head = (_head + 1) % _ring.Length;
    }

    private void PruneDedup(long now)
    {
        while (_dedupOrder.Count > 0)
        {
            (var key, var acceptedAt) = _dedupOrder.Peek();
            if (now - acceptedAt < _dedupWindowTicks)
            {
                break;
            }

            _dedupOrder.Dequeue();
            ForgetIfCurrent(key, acceptedAt);
        }
    }

    private void TrimDedupToCapacity()
    {
        while (_dedupOrder.Count > _maxDedupKeys)
        {
            (var key, var acceptedAt) = _dedupOrder.Dequeue();
            ForgetIfCurrent(key, acceptedAt);
        }
    }

    // A key may have been re-accepted after it expired; only the newest registration owns the entry.
    private void ForgetIfCurrent(string key, long acceptedAt)
    {
        if (_dedupKeys.TryGetValue(key, out var current) && current == acceptedAt)
        {
            _dedupKeys.Remove(key);
        }
    }
}
