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
internal sealed class PublishScheduler
{
    /// <summary>Most batch requests in flight at once.</summary>
    private const int MaxConcurrentRequests = 8;

    private readonly ConnectorOptions _options;
    private readonly AblyRestPublisher _publisher;
    private readonly LeaderFence _fence;
    private readonly CutJournal? _journal;
    private readonly LaneCutter _cutter;
    private readonly DrainProgress _progress;
    private readonly ILogger _logger;
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
        _logger = logger;
        _limits = options.Ably.Limits;
        _bundling = options.Bundles;
        var now = Stopwatch.GetTimestamp();
        _packer = new RequestPacker(options.Ably, new RateBudget(_limits.AccountMessagesPerSecond, now), new RateBudget(_limits.AccountRequestsPerSecond, now));
        _lastBottleneckCheck = now;
        _cutter = new LaneCutter(options, _journal, progress, builder, logger);
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
            _cutter.Unread = unread;
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

        return _packer.Pack(_listed, now, free, _cutter, ref wake);
    }

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
            // check records how the chunks are cut, so a crash from here on re-sends them as the same messages. The
            // fence is asked again before a fallback host is tried, which may be a request timeout later.
            await _fence.ConfirmAsync(RecordCuts(chunks), stopping);
            var request = _observer.Starting(chunks, messages);
            RequestOutcome outcome;
            try
            {
                outcome = await _publisher.SendOnceAsync(body.AsMemory(0, at), chunks.Count, messages, _fence.ConfirmAsync, stopping);
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
