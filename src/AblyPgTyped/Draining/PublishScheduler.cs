using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Publishing;
using Microsoft.Extensions.Logging;

namespace AblyPgTyped.Draining;

/// <summary>
/// Sends the lanes' changes to Ably inside its limits: each channel at its message rate, the account at its message
/// and request rates, one request in flight per channel (so position order holds), ready lanes packed into batch
/// publish requests (<see cref="RequestPacker"/>). When changes come faster than a channel's rate, consecutive ones
/// are bundled so the channel keeps up. Every outcome is applied to its own lane: a throttled, failing or slow channel
/// delays only itself.
/// </summary>
internal sealed class PublishScheduler : ILaneChunks
{
    /// <summary>Most batch requests in flight at once.</summary>
    private const int MaxConcurrentRequests = 8;

    /// <summary>Most unread ranges a cut records; with more (many writers' transactions open at once) it is not settled.</summary>
    private const int MaxUnreadPerCut = 32;

    /// <summary>How long a lane waits for the rest of a chunk recorded before a restart to be read, before it cuts afresh.</summary>
    private static readonly TimeSpan RestorePatience = TimeSpan.FromSeconds(2);

    private readonly ConnectorOptions _options;
    private readonly AblyRestPublisher _publisher;
    private readonly LeaderFence _fence;
    private readonly CutJournal? _journal;
    private (long Low, long High)[] _unread = [];
    private readonly DrainProgress _progress;
    private readonly ILogger _logger;
    private readonly MessageBuilder _builder;
    private readonly PublishObserver _observer;
    private readonly AblyLimits _limits;
    private readonly bool _bundling;
    private readonly object _sync = new();
    private readonly Dictionary<string, ChannelLane> _lanes = new(StringComparer.Ordinal);
    private readonly List<ChannelLane> _listed = [];
    private readonly RequestPacker _packer;
    private readonly HashSet<Task> _sending = [];
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _pausedUntil;
    private int _failures;
    private bool _failing;
    private long _failingSince;
    private bool _failingUnauthorized;
    private long _lastBottleneckCheck;
    private long _accountWarned;
    private Exception? _fault;

    public PublishScheduler(
        ConnectorOptions options,
        AblyRestPublisher publisher,
        LeaderFence fence,
        DrainProgress progress,
        MessageBuilder builder,
        PublishObserver observer,
        ILogger logger)
    {
        _observer = observer;
        _options = options;
        _publisher = publisher;
        _fence = fence;
        _journal = fence.Journal;
        _progress = progress;
        _builder = builder;
        _logger = logger;
        _limits = options.Ably.Limits;
        _bundling = options.Bundles;
        var now = Stopwatch.GetTimestamp();
        _packer = new RequestPacker(options.Ably, new RateBudget(_limits.AccountMessagesPerSecond, now), new RateBudget(_limits.AccountRequestsPerSecond, now));
        _lastBottleneckCheck = now;
    }

    /// <summary>
    /// Hands decoded changes to their channels' lanes, in position order, with the source's unread ranges as of the
    /// read that found them (<see cref="Capture.ICaptureSource.Unread"/>): any other change a chunk's range holds lies in those.
    /// </summary>
    public void Enqueue(List<PendingChange> changes, (long Low, long High)[] unread)
    {
        if (changes.Count == 0)
        {
            return;
        }

        lock (_sync)
        {
            _unread = unread;
            var now = Stopwatch.GetTimestamp();
            foreach (var change in changes)
            {
                var channel = change.Change.Channel!;
                if (!_lanes.TryGetValue(channel, out var lane))
                {
                    _lanes[channel] = lane = new ChannelLane(channel, new RateBudget(_limits.ChannelMessagesPerSecond, now))
                    {
                        Destination = PublishObserver.DestinationOf(change.Change),
                    };
                }

                lane.Enqueue(change);
                if (lane.ListIndex < 0)
                {
                    lane.ListIndex = _listed.Count;
                    _listed.Add(lane);
                }
            }
        }

        Signal();
    }

    /// <summary>Publishes until cancelled, or until leadership is lost (the exception ends the drain).</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            while (true)
            {
                stopping.ThrowIfCancellationRequested();
                List<LaneChunk>? request;
                Task signal;
                TimeSpan wait;
                lock (_sync)
                {
                    if (_fault is not null)
                    {
                        throw _fault;
                    }

                    _sending.RemoveWhere(t => t.IsCompleted);
                    var now = Stopwatch.GetTimestamp();
                    var wake = long.MaxValue;
                    var free = MaxConcurrentRequests - _sending.Count;
                    request = free > 0 ? Build(now, free, ref wake) : null;
                    ReportBottlenecks(now);
                    signal = _signal.Task;
                    wait = wake == long.MaxValue ? Timeout.InfiniteTimeSpan : Stopwatch.GetElapsedTime(now, Math.Max(now, wake)) + TimeSpan.FromMilliseconds(1);
                }

                if (request is null)
                {
                    await Task.WhenAny(signal, Task.Delay(wait, stopping));
                    continue;
                }

                // Sent before the next one is built, so that its way to Ably overlaps the building of the next.
                var task = SendAsync(request, stopping);
                lock (_sync)
                {
                    if (!task.IsCompleted)
                    {
                        _sending.Add(task);
                    }
                }
            }
        }
        finally
        {
            Task[] sending;
            lock (_sync)
            {
                sending = [.. _sending];
            }

            try
            {
                await Task.WhenAll(sending);
            }
            catch
            {
                // Their outcome no longer matters: what was not accepted stays in the store.
            }
        }
    }

    /// <summary>The next request, unless publishing is paused or nothing may be sent now.</summary>
    private List<LaneChunk>? Build(long now, int free, ref long wake)
    {
        if (now < _pausedUntil)
        {
            wake = Math.Min(wake, _pausedUntil);
            return null;
        }

        return _packer.Pack(_listed, now, free, this, ref wake);
    }

    bool ILaneChunks.Prepare(ChannelLane lane, long now, ref long wake) =>
        _journal is not { HasReplays: true } || lane.Retained is not null || (Restore(lane, now, ref wake) && lane.Count > 0);

    LaneChunk ILaneChunks.Cut(ChannelLane lane, int maxMessages) => BuildChunk(lane, maxMessages);

    private void Signal()
    {
        TaskCompletionSource signal;
        lock (_sync)
        {
            signal = _signal;
            _signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        signal.TrySetResult();
    }

    /// <summary>
    /// The lane's next messages, at most <paramref name="maxMessages"/>: one per change while that keeps up, else
    /// bundles of consecutive changes of one table, so the waiting changes fit the messages the channel may send.
    /// All of one channel's messages in one request stay within the message size limit, as Ably counts it.
    /// </summary>
    private LaneChunk BuildChunk(ChannelLane lane, int maxMessages)
    {
        if (_journal is { HasReplays: true })
        {
            // After a restart a lane cuts afresh only past its recorded chunks, or when one could not go as it was.
            _journal.ForgetChannel(lane.Channel);
        }

        var waiting = lane.Waiting;
        var perMessage = 1;
        if (_bundling && waiting.Count > maxMessages)
        {
            perMessage = Math.Min(Math.Min(_options.MaxChangesPerMessage, lane.MaxBundle), (waiting.Count + maxMessages - 1) / maxMessages);
        }

        var limit = _limits.MaxMessageSize;
        var built = new List<Publishing.OutboundMessage>();
        var counts = _journal is null ? null : new List<int>();
        long total = 0;
        var next = 0;
        var bundles = 0;
        while (next < waiting.Count && built.Count < maxMessages)
        {
            var first = waiting[next];
            long size = first.Size;
            if (built.Count > 0 && total + size > limit)
            {
                break;
            }

            // A bundle's size is bounded from above by the single message's overhead with the joined data.
            var count = 1;
            long data = first.Message.DataByteCount;
            var overhead = MessageBuilder.BundleOverhead(first);
            while (count < perMessage && next + count < waiting.Count && waiting[next + count].Change.Mapping == first.Change.Mapping)
            {
                var grown = overhead + data + 1 + waiting[next + count].Message.DataByteCount;
                if (total + grown > limit)
                {
                    break;
                }

                data += 1 + waiting[next + count].Message.DataByteCount;
                size = grown;
                count++;
            }

            built.Add(_builder.Bundle(waiting, next, count));
            counts?.Add(count);
            bundles += count > 1 ? 1 : 0;
            total += count == 1 ? first.Size : size;
            next += count;
        }

        lane.InChunk = next;
        return new LaneChunk(lane, next, built.Count, Spec(lane.Channel, built), bundles)
        {
            Cut = counts is null ? null : new ChunkCut(lane.Channel, waiting[0].Change.Position, waiting[0].Change.Moved, waiting[next - 1].Change.Position, [.. counts])
            {
                Unread = UnreadUpTo(waiting[next - 1].Change.Position.CaptureId),
            },
        };
    }

    /// <summary>The source's unread store ids up to <paramref name="last"/>; null (not known) when there are too many to record.</summary>
    private (long Low, long High)[]? UnreadUpTo(long last)
    {
        var unread = _unread;
        var below = 0;
        foreach (var range in unread)
        {
            below += range.Low <= last ? 1 : 0;
        }

        return below == unread.Length ? (below <= MaxUnreadPerCut ? unread : null)
            : below <= MaxUnreadPerCut ? Array.FindAll(unread, r => r.Low <= last)
            : null;
    }

    /// <summary>
    /// Takes up a chunk recorded before a restart (<see cref="CutJournal"/>) that holds the lane's next change. Changes
    /// in its range that came late (<see cref="ChunkCut.Unread"/>) were not in it: they wait behind it, as they did. If
    /// the chunk starts at the lane's next change, its messages go again cut as they were (as the lane's retained
    /// chunk, byte for byte), and Ably de-duplicates those it accepted: all of them once all its changes are read, else
    /// those whose changes are, the rest later. A settled chunk some of whose changes are done was accepted whole (a
    /// channel's chunk is accepted or refused as one), and the rest of it is done too. False while not even its first
    /// message's changes are read. A chunk that no longer matches is cut afresh: a bundle's id names its first and
    /// last change, so it never takes the old one's id.
    /// </summary>
    private bool Restore(ChannelLane lane, long now, ref long wake)
    {
        while (lane.Count > 0 && _journal!.Next(lane.Channel, lane[0]) is { } cut)
        {
            var waiting = lane.Waiting;
            var allRead = waiting[lane.Count - 1].Change.Position.CompareTo(cut.Last) >= 0;
            var reach = 0;
            while (reach < lane.Count && waiting[reach].Change.Position.CompareTo(cut.Last) <= 0)
            {
                reach++;
            }

            var held = cut.Unread is { Length: > 0 } ? lane.PutLateBehind(reach, cut) : reach;
            if (held == 0)
            {
                if (allRead)
                {
                    _journal.Forget(cut); // none of its changes wait: all done
                    continue;
                }

                // Only changes that came late wait so far; they go behind the chunk's, which may still be read.
                if (!WaitToRestore(lane, now, ref wake))
                {
                    return false;
                }

                _journal.Forget(cut);
                return true;
            }

            var first = waiting[0].Change;
            var starts = cut.First.CompareTo(first.Position);
            if (starts > 0 || (starts == 0 && cut.FirstMoved != first.Moved))
            {
                return true; // the lane's next change was not in it: cut afresh
            }

            var changeCount = cut.ChangeCount;
            if (starts < 0 || (allRead && held < changeCount))
            {
                lane.RestoreBy = 0;
                if (!cut.Settled)
                {
                    _journal.Forget(cut);
                    LogMessages.CutChanged(_logger, lane.Channel, cut.First, "some of its changes are done, and one never sent may lie inside it");
                    return true;
                }

                // Kept until a change past it is read: those of its changes still to be read were accepted too.
                if (allRead)
                {
                    _journal.Forget(cut);
                }

                LogMessages.AcceptedBeforeRestart(_logger, lane.Channel, held, cut.First);
                _progress.Accepted(waiting, 0, held);
                lane.Dequeue(held);
                continue;
            }

            if (held > changeCount)
            {
                _journal.Forget(cut);
                lane.RestoreBy = 0;
                LogMessages.CutChanged(_logger, lane.Channel, cut.First, "a change committed late lies inside it");
                return true;
            }

            // The recorded messages whose changes are all read, and the change after them read too (it names what is
            // left of the cut).
            var messages = 0;
            var changes = 0;
            while (messages < cut.Counts.Length && changes + cut.Counts[messages] <= held)
            {
                changes += cut.Counts[messages++];
            }

            if (messages < cut.Counts.Length && changes == held)
            {
                changes -= cut.Counts[--messages];
            }

            if (messages == 0)
            {
                if (!WaitToRestore(lane, now, ref wake))
                {
                    return false;
                }

                _journal.Forget(cut);
                LogMessages.CutChanged(_logger, lane.Channel, cut.First, "the changes of its first message were not all read in time");
                return true;
            }

            lane.RestoreBy = 0;
            var built = new List<Publishing.OutboundMessage>(messages);
            var next = 0;
            var bundles = 0;
            for (var m = 0; m < messages; m++)
            {
                var count = cut.Counts[m];
                for (var i = next + 1; i < next + count; i++)
                {
                    if (waiting[i].Change.Mapping != waiting[next].Change.Mapping)
                    {
                        _journal.Forget(cut);
                        LogMessages.CutChanged(_logger, lane.Channel, cut.First, "its changes now belong to different mappings");
                        return true;
                    }
                }

                built.Add(_builder.Bundle(waiting, next, count));
                bundles += count > 1 ? 1 : 0;
                next += count;
            }

            // What is left of the cut waits for its changes; a lane holds one recorded cut at a time.
            _journal.Replace(cut, messages == cut.Counts.Length
                ? null
                : cut with { First = waiting[changes].Change.Position, FirstMoved = waiting[changes].Change.Moved, Counts = cut.Counts[messages..] });
            lane.InChunk = changes;
            lane.Retained = new LaneChunk(lane, changes, built.Count, Spec(lane.Channel, built), bundles) { Cut = cut };
            return true;
        }

        return true; // a lane left empty is unlisted when it next sends, or stays listed, idle, until then
    }

    /// <summary>False while the lane may still wait for a recorded chunk's changes to be read (its patience runs from the first call).</summary>
    private static bool WaitToRestore(ChannelLane lane, long now, ref long wake)
    {
        if (lane.RestoreBy == 0)
        {
            lane.RestoreBy = now + Ticks(RestorePatience);
        }

        if (now < lane.RestoreBy)
        {
            wake = Math.Min(wake, lane.RestoreBy);
            return false;
        }

        lane.RestoreBy = 0;
        return true;
    }

    private static PooledBufferWriter Spec(string channel, List<Publishing.OutboundMessage> messages)
    {
        var spec = new PooledBufferWriter(SpecCapacity(messages));
        using (var writer = new System.Text.Json.Utf8JsonWriter(spec, AblyWireFormat.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("channels"u8);
            writer.WriteStringValue(channel);
            writer.WriteEndArray();
            writer.WriteStartArray("messages"u8);
            foreach (var message in messages)
            {
                AblyWireFormat.WriteMessage(writer, message);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return spec;
    }

    /// <summary>About what the spec takes as JSON, so that its pooled array is seldom replaced while it is written.</summary>
    private static int SpecCapacity(List<Publishing.OutboundMessage> messages)
    {
        long data = 256;
        foreach (var message in messages)
        {
            data += 128 + message.DataLengthEstimate;
        }

        return (int)Math.Min(data + (data / 4), 1024 * 1024);
    }

    private async Task SendAsync(List<LaneChunk> chunks, CancellationToken stopping)
    {
        var length = 1 + chunks.Count;
        var messages = 0;
        foreach (var chunk in chunks)
        {
            length += chunk.Spec.Length;
            messages += chunk.MessageCount;
        }

        var body = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var at = 0;
            body[at++] = (byte)'[';
            for (var i = 0; i < chunks.Count; i++)
            {
                if (i > 0)
                {
                    body[at++] = (byte)',';
                }

                chunks[i].Spec.CopyTo(body.AsSpan(at));
                at += chunks[i].Spec.Length;
            }

            body[at++] = (byte)']';

            // Fencing: a connector deposed while it waited must not publish what its successor now owns. The same
            // check records how the chunks are cut, so a crash from here on re-sends them as the same messages.
            await _fence.ConfirmAsync(RecordCuts(chunks), stopping);
            var request = _observer.Starting(chunks, messages);
            RequestOutcome outcome;
            try
            {
                outcome = await _publisher.SendOnceAsync(body.AsMemory(0, at), chunks.Count, messages, stopping);
            }
            catch (Exception e)
            {
                _observer.Faulted(request, e);
                throw;
            }

            _observer.Answered(request, outcome);
            lock (_sync)
            {
                Apply(chunks, outcome, Stopwatch.GetTimestamp());
            }
        }
        catch (Exception e)
        {
            lock (_sync)
            {
                foreach (var chunk in chunks)
                {
                    chunk.Lane.Sending = false;
                }

                ReleaseUnretained(chunks);
                _fault ??= e;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
            lock (_sync)
            {
                _sending.Remove(Task.CompletedTask);
            }

            Signal();
        }
    }

    /// <summary>Queues the cuts not recorded yet; returns what the fence's check must have recorded (0 for nothing).</summary>
    private long RecordCuts(List<LaneChunk> chunks)
    {
        if (_journal is null)
        {
            return 0;
        }

        List<ChunkCut>? cuts = null;
        foreach (var chunk in chunks)
        {
            if (chunk.Cut is { Recorded: false } cut)
            {
                (cuts ??= []).Add(cut);
            }
        }

        return cuts is null ? 0 : _journal.Add(cuts);
    }

    private void Apply(List<LaneChunk> chunks, RequestOutcome outcome, long now)
    {
        _packer.Answered(chunks, now);

        switch (outcome.Kind)
        {
            case RequestOutcomeKind.Completed:
                Recovered();
                foreach (var chunk in chunks)
                {
                    AblyErrorInfo? refusal = null;
                    if (outcome.Channels is not null && !outcome.Channels.TryGetValue(chunk.Lane.Channel, out refusal))
                    {
                        refusal = new AblyErrorInfo(50000, 500, "The batch publish response has no result for this channel");
                    }

                    if (refusal is null)
                    {
                        Accept(chunk);
                    }
                    else
                    {
                        _observer.NotAccepted(chunk, refusal);
                        ChannelFailed(chunk, refusal, now);
                    }
                }

                break;

            case RequestOutcomeKind.BadRequest when chunks.Count > 1:
                NotAccepted(chunks, outcome.Error);
                // Refused as a whole: find the guilty lane by sending each alone.
                LogMessages.Isolating(_logger, chunks.Count, Describe(outcome.Error));
                foreach (var chunk in chunks)
                {
                    chunk.Lane.Solo = true;
                }

                break;

            case RequestOutcomeKind.BadRequest:
                NotAccepted(chunks, outcome.Error);
                Refused(chunks[0], outcome.Error!);
                break;

            case RequestOutcomeKind.Unauthorized:
                NotAccepted(chunks, outcome.Error);
                Pause(now, outcome.Error!, null, unauthorized: true);
                break;

            default:
                var error = outcome.Error ?? new AblyErrorInfo(50000, 500, "no answer");
                NotAccepted(chunks, error);
                if (error.StatusCode == 429 || AblyErrorRules.IsRateLimit(error))
                {
                    // The account is over a limit: nothing of these requests was stored, so they may be rebuilt smaller.
                    _packer.AccountRefused(now);
                }
                else
                {
                    // The outcome is unknown (timeout, 5xx): the same bytes go again, and Ably de-duplicates them.
                    foreach (var chunk in chunks)
                    {
                        chunk.Lane.Retained = chunk;
                    }
                }

                Pause(now, error, outcome.RetryAfter, unauthorized: false);
                break;
        }

        foreach (var chunk in chunks)
        {
            Unlist(chunk.Lane, now);
        }

        ReleaseUnretained(chunks);
    }

    /// <summary>
    /// Returns the specs of chunks that will not be sent again. Under the lock, in the same section that decided their
    /// fate: a retained chunk may be taken by the next request as soon as the lock is free.
    /// </summary>
    private static void ReleaseUnretained(List<LaneChunk> chunks)
    {
        foreach (var chunk in chunks)
        {
            if (!ReferenceEquals(chunk.Lane.Retained, chunk))
            {
                chunk.Release();
            }
        }
    }

    private void NotAccepted(List<LaneChunk> chunks, AblyErrorInfo? error)
    {
        foreach (var chunk in chunks)
        {
            _observer.NotAccepted(chunk, error);
        }
    }

    private void Accept(LaneChunk chunk)
    {
        var lane = chunk.Lane;
        _observer.Accepted(chunk);
        _progress.Accepted(lane.Waiting, 0, chunk.ChangeCount);
        lane.Dequeue(chunk.ChangeCount);
        lane.Failures = 0;
        lane.Solo = false;
        lane.MaxMessages = (int)Math.Min(int.MaxValue, 2L * lane.MaxMessages);
        lane.MaxBundle = (int)Math.Min(int.MaxValue, 2L * lane.MaxBundle);
    }

    private void ChannelFailed(LaneChunk chunk, AblyErrorInfo error, long now)
    {
        var lane = chunk.Lane;
        if (AblyErrorRules.IsRateLimit(error))
        {
            // Refused for the channel's rate: send less, later; never the same refused request again.
            lane.Budget.Exhaust(now);
            lane.MaxMessages = Math.Max(1, chunk.MessageCount / 2);
            Backoff(lane, now, TimeSpan.FromSeconds(1 / Math.Min(lane.Budget.Limit, 1000)));
            _observer.Retrying(error, channel: true);
            if (lane.Failures == 1)
            {
                LogMessages.ChannelRateLimited(_logger, lane.Channel, Describe(error), lane.Count);
            }
        }
        else if (AblyErrorRules.IsRetryable(error))
        {
            lane.Retained = chunk;
            Backoff(lane, now, null);
            _observer.Retrying(error, channel: true);
            if (lane.Failures == 1)
            {
                LogMessages.ChannelRetry(_logger, lane.Channel, Describe(error), lane.Count);
            }
        }
        else if (AblyErrorRules.IsCredentialError(error))
        {
            Pause(now, error, null, unauthorized: true);
        }
        else
        {
            Refused(chunk, error);
        }
    }

    /// <summary>
    /// Ably refused the chunk for what it holds: with several messages (or a bundle) and an error that may concern
    /// one change, send half as much until the guilty change is alone; a lone change is dead-lettered.
    /// </summary>
    private void Refused(LaneChunk chunk, AblyErrorInfo error)
    {
        var lane = chunk.Lane;
        if (!AblyErrorRules.IsChannelWide(error) && chunk.ChangeCount > 1)
        {
            if (chunk.MessageCount > 1)
            {
                lane.MaxMessages = Math.Max(1, chunk.MessageCount / 2);
            }
            else
            {
                lane.MaxBundle = Math.Max(1, chunk.ChangeCount / 2);
            }

            lane.Solo = true;
            LogMessages.Splitting(_logger, lane.Channel, chunk.ChangeCount, Describe(error));
            return;
        }

        var reason = "Ably rejected the message: " + Describe(error);
        var waiting = lane.Waiting;
        for (var i = 0; i < chunk.ChangeCount; i++)
        {
            _progress.Reject(waiting[i], lane.Channel, reason);
        }

        lane.Dequeue(chunk.ChangeCount);
    }

    private void Backoff(ChannelLane lane, long now, TimeSpan? floor)
    {
        var delay = RetryPolicy.Delay(lane.Failures, _options.MaxRetryDelay, null, floor);
        lane.Failures++;
        lane.NotBefore = now + Ticks(delay);
    }

    /// <summary>A failure of the endpoint or the key: every lane waits, one log line per burst.</summary>
    private void Pause(long now, AblyErrorInfo error, TimeSpan? retryAfter, bool unauthorized)
    {
        var floor = unauthorized ? TimeSpan.FromSeconds(Math.Min(5, _options.MaxRetryDelay.TotalSeconds)) : (TimeSpan?)null;
        var delay = RetryPolicy.Delay(_failures++, _options.MaxRetryDelay, retryAfter, floor);
        _pausedUntil = Math.Max(_pausedUntil, now + Ticks(delay));
        _observer.Retrying(error, channel: false);
        _observer.Paused(error, unauthorized, Describe(error));
        // One line per burst of failures, however many retries it takes (PublishRecovered ends it), and one more if
        // the key comes to be refused within it.
        if (unauthorized && !_failingUnauthorized)
        {
            LogMessages.Unauthorized(_logger, Describe(error), delay);
        }
        else if (!_failing)
        {
            LogMessages.PublishRetry(_logger, Describe(error), delay);
        }

        if (!_failing)
        {
            _failingSince = now;
        }

        _failing = true;
        _failingUnauthorized |= unauthorized;
    }

    private void Recovered()
    {
        if (_failing)
        {
            LogMessages.PublishRecovered(_logger, _failures, Stopwatch.GetElapsedTime(_failingSince));
        }

        _failing = false;
        _failingUnauthorized = false;
        _failures = 0;
    }

    private void Unlist(ChannelLane lane, long now)
    {
        if (lane.ListIndex >= 0 && lane.IsIdle && lane.NotBefore <= now)
        {
            // Swap with the last lane: removal stays cheap with many thousands of per-row channels.
            var last = _listed[^1];
            _listed[lane.ListIndex] = last;
            last.ListIndex = lane.ListIndex;
            _listed.RemoveAt(_listed.Count - 1);
            lane.ListIndex = -1;
            if (lane.Budget.Available(now) >= lane.Budget.Capacity)
            {
                _lanes.Remove(lane.Channel); // nothing recent to pace against: a new lane starts the same
            }
        }
    }

    /// <summary>Says once (and again while it lasts) which limit holds the stream back, and what to change.</summary>
    private void ReportBottlenecks(long now)
    {
        if (Stopwatch.GetElapsedTime(_lastBottleneckCheck, now) < TimeSpan.FromSeconds(5))
        {
            return;
        }

        _lastBottleneckCheck = now;
        var queued = 0;
        var channels = 0;
        var heldBack = false;
        foreach (var lane in _listed)
        {
            queued += lane.Count;
            channels++;
            if (lane.Budget.IsUnlimited || lane.Count < Math.Max(lane.Budget.Capacity, 50) * (_bundling ? 20 : 2))
            {
                continue;
            }

            if (!heldBack)
            {
                heldBack = true; // the health names one such channel
                _observer.HeldBack(string.Create(CultureInfo.InvariantCulture,
                    $"channel {lane.Channel} is held to Ably's {lane.Budget.Limit} messages/s per channel, with {lane.Count} change(s) waiting on it"));
            }

            if (lane.LastWarned == 0 || Stopwatch.GetElapsedTime(lane.LastWarned, now) >= TimeSpan.FromMinutes(1))
            {
                lane.LastWarned = now;
                LogMessages.ChannelBottleneck(_logger, lane.Channel, lane.Budget.Limit, lane.Count, _bundling
                    ? "bundling is on; the changes are larger than one second's worth of messages can carry: spread the table over more channels (a {Property} in the channel name)"
                    : _options.CompatibleMessages
                        ? "compatible messages are never bundled: turn compatibleMessages off (subscribers then read the typed shape), or spread the table over more channels"
                        : "bundling is off: raise MaxChangesPerMessage, or spread the table over more channels");
            }
        }

        var accountLimited = _packer.AccountLimitedAt != 0 && Stopwatch.GetElapsedTime(_packer.AccountLimitedAt, now) < TimeSpan.FromSeconds(5);
        if (accountLimited)
        {
            _observer.HeldBack(string.Create(CultureInfo.InvariantCulture,
                $"the Ably account's limits ({_limits.AccountMessagesPerSecond} messages/s, {_limits.AccountRequestsPerSecond} requests/s; plan {_options.Ably.Plan}) hold publishing back"));
        }

        if (accountLimited && (_accountWarned == 0 || Stopwatch.GetElapsedTime(_accountWarned, now) >= TimeSpan.FromMinutes(1)))
        {
            _accountWarned = now;
            LogMessages.AccountBottleneck(_logger, _limits.AccountMessagesPerSecond, _limits.AccountRequestsPerSecond, _options.Ably.Plan, queued, channels);
        }
    }

    private static long Ticks(TimeSpan delay) => RequestPacker.Ticks(delay);

    private static string Describe(AblyErrorInfo? error) =>
        error is null ? "no error information" : $"{error.Code} (HTTP {error.StatusCode}): {error.Message}";
}
