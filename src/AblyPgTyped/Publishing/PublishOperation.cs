using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped.Publishing;

/// <summary>
/// One <see cref="AblyRestPublisher.PublishAsync"/> call. Every message is serialized once into a pooled buffer; each
/// channel is a lane that sends its messages as consecutive chunks (at most one chunk per lane in flight, so order
/// holds), and ready lanes are packed into batch requests (one spec per lane) sent up to
/// <see cref="AblyRestPublisher.MaxConcurrentRequests"/> at a time. Not thread-safe: all lane state is changed by the
/// single loop in <see cref="RunAsync"/>.
/// </summary>
internal sealed class PublishOperation : IDisposable
{
    private readonly AblyRestPublisher _publisher;
    private readonly ChannelLane[] _lanes;
    private readonly PooledBufferWriter _buffer;
    private readonly long _started;
    private Halt? _halt;

    public PublishOperation(AblyRestPublisher publisher, IReadOnlyList<ChannelBatch> batches)
    {
        _publisher = publisher;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long estimate = 0;
        for (var b = 0; b < batches.Count; b++)
        {
            var batch = batches[b];
            if (batch is null || batch.Messages is null)
            {
                throw new ArgumentException("Batch " + b.ToString(CultureInfo.InvariantCulture) + " or its message list is null.", nameof(batches));
            }

            if (string.IsNullOrEmpty(batch.Channel))
            {
                throw new ArgumentException("Batch " + b.ToString(CultureInfo.InvariantCulture) + " has no channel name.", nameof(batches));
            }

            if (!seen.Add(batch.Channel))
            {
                throw new ArgumentException("Channel \"" + batch.Channel + "\" appears in more than one batch of the same call; merge them so that its messages keep their order.", nameof(batches));
            }

            estimate += (batch.Channel.Length * 2) + 16;
            foreach (var message in batch.Messages)
            {
                if (message is null)
                {
                    throw new ArgumentException("Batch for channel \"" + batch.Channel + "\" contains a null message.", nameof(batches));
                }

                estimate += message.DataLengthEstimate + (message.Name?.Length ?? 0) + (message.Id?.Length ?? 0) + 48;
            }
        }

        _buffer = new PooledBufferWriter((int)Math.Min(estimate + (estimate / 8), 64 * 1024 * 1024));
        _lanes = new ChannelLane[batches.Count];
        using (var writer = new Utf8JsonWriter(_buffer, AblyWireFormat.WriterOptions))
        {
            for (var b = 0; b < batches.Count; b++)
            {
                _lanes[b] = Serialize(writer, batches[b]);
            }
        }

        _started = publisher.Time.GetTimestamp();
    }

    /// <summary>True while the retry budget still covers waiting <paramref name="delay"/> before the next attempt.</summary>
    public bool CanRetryAfter(TimeSpan delay) => _publisher.Time.GetElapsedTime(_started) + delay <= _publisher.MaxRetryDuration;

    public async Task<IReadOnlyList<ChannelPublishResult>> RunAsync(CancellationToken ct)
    {
        var time = _publisher.Time;
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var inflight = new List<Task<Completion>>(AblyRestPublisher.MaxConcurrentRequests);
        try
        {
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                var now = time.GetTimestamp();
                ApplyHalt();
                while (inflight.Count < AblyRestPublisher.MaxConcurrentRequests)
                {
                    var request = BuildRequest(now);
                    if (request is null)
                    {
                        break;
                    }

                    inflight.Add(SendAsync(request, abort.Token));
                }

                var wake = inflight.Count < AblyRestPublisher.MaxConcurrentRequests ? NextWake(now) : null;
                if (inflight.Count == 0)
                {
                    if (wake is null)
                    {
                        break; // every lane has its result
                    }

                    await Task.Delay(wake.Value, time, ct).ConfigureAwait(false);
                    continue;
                }

                var any = Task.WhenAny(inflight);
                if (wake is { } delay)
                {
                    using var delayCancel = CancellationTokenSource.CreateLinkedTokenSource(abort.Token);
                    await Task.WhenAny(any, Task.Delay(delay, time, delayCancel.Token)).ConfigureAwait(false);
                    await delayCancel.CancelAsync().ConfigureAwait(false);
                }
                else
                {
                    await any.ConfigureAwait(false);
                }

                for (var i = inflight.Count - 1; i >= 0; i--)
                {
                    if (inflight[i].IsCompleted)
                    {
                        var done = inflight[i];
                        inflight.RemoveAt(i);
                        var completion = await done.ConfigureAwait(false);
                        Apply(completion.Request, completion.Outcome, time.GetTimestamp());
                    }
                }
            }
        }
        catch
        {
            await abort.CancelAsync().ConfigureAwait(false);
            foreach (var task in inflight)
            {
                try
                {
                    await task.ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Already failing with the first exception; these are only observed.
                }
            }

            ct.ThrowIfCancellationRequested(); // report the caller's token rather than the internal one
            throw;
        }

        var results = new ChannelPublishResult[_lanes.Length];
        for (var i = 0; i < _lanes.Length; i++)
        {
            results[i] = _lanes[i].Result ?? throw new InvalidOperationException("Publishing ended without a result for channel \"" + _lanes[i].Channel + "\".");
        }

        return results;
    }

    public void Dispose() => _buffer.Dispose();

    private ChannelLane Serialize(Utf8JsonWriter writer, ChannelBatch batch)
    {
        var count = batch.Messages.Count;
        var lane = new ChannelLane(batch, count);
        writer.Reset();
        var channelStart = _buffer.WrittenCount;
        writer.WriteStringValue(batch.Channel);
        writer.Flush();
        lane.ChannelOffset = channelStart;
        lane.ChannelLength = _buffer.WrittenCount - channelStart;

        // A lane's messages are written back to back with commas, so any run of them is one contiguous slice.
        for (var i = 0; i < count; i++)
        {
            var message = batch.Messages[i];
            if (i > 0)
            {
                _buffer.GetSpan(1)[0] = (byte)',';
                _buffer.Advance(1);
            }

            writer.Reset();
            var start = _buffer.WrittenCount;
            AblyWireFormat.WriteMessage(writer, message);
            writer.Flush();
            lane.MessageOffsets[i] = start;
            lane.MessageLengths[i] = _buffer.WrittenCount - start;
            lane.MessageSizes[i] = AblyMessageSize.Of(message);
        }

        if (count == 0)
        {
            lane.Result = new ChannelPublishResult(batch.Channel, PublishStatus.Accepted, null, AcceptedCount: 0);
        }

        return lane;
    }

    private async Task<Completion> SendAsync(BatchRequest request, CancellationToken ct)
    {
        try
        {
            var outcome = await _publisher.SendBatchAsync(request, this, ct).ConfigureAwait(false);
            return new Completion(request, outcome);
        }
        finally
        {
            request.Dispose(); // the body goes back to the pool; the specs stay readable
        }
    }

    /// <summary>Packs ready lanes (input order) into one request, or returns null when none is ready.</summary>
    private BatchRequest? BuildRequest(long now)
    {
        List<BatchSpec>? specs = null;
        long bytes = 2; // [ ]
        var messages = 0;
        foreach (var lane in _lanes)
        {
            if (lane.Result is not null || lane.InFlight || lane.NotBefore > now)
            {
                continue;
            }

            if (specs is not null && specs.Count >= _publisher.MaxChannelsPerRequest)
            {
                break;
            }

            if (!TryNextChunk(lane, out var spec, out var specBytes))
            {
                continue; // finished by a client-side rejection
            }

            if (lane.Solo && specs is not null)
            {
                continue; // a suspect lane travels alone, in a request of its own
            }

            long added = specBytes + (specs is null ? 0 : 1);
            if (bytes + added > _publisher.MaxRequestBytes)
            {
                continue;
            }

            (specs ??= new List<BatchSpec>()).Add(spec);
            bytes += added;
            messages += spec.Count;
            lane.InFlight = true;
            if (lane.Solo)
            {
                break;
            }
        }

        return specs is null ? null : Assemble(specs, (int)bytes, messages);
    }

    /// <summary>The next chunk of a lane: as many messages as the spec limits allow. False when the lane just finished.</summary>
    private bool TryNextChunk(ChannelLane lane, out BatchSpec spec, out int specBytes)
    {
        var start = lane.Accepted;
        if (lane.CachedStart == start && lane.CachedLimit == lane.MaxChunk)
        {
            spec = new BatchSpec(lane, start, lane.CachedCount);
            specBytes = lane.CachedBytes;
            return true;
        }

        var total = lane.MessageOffsets.Length;
        var maxCount = Math.Min(Math.Min(_publisher.MaxMessagesPerChannelSpec, lane.MaxChunk), total - start);
        long fixedBytes = AblyWireFormat.SpecOverhead + lane.ChannelLength;
        long maxSpecBytes = _publisher.MaxRequestBytes - 2;
        long size = 0;
        var count = 0;
        long messageBytes = 0;
        while (count < maxCount)
        {
            var i = start + count;
            var nextSize = size + lane.MessageSizes[i];
            long nextBytes = lane.MessageOffsets[i] + lane.MessageLengths[i] - lane.MessageOffsets[start];
            if (nextSize > _publisher.MaxMessageSize || fixedBytes + nextBytes > maxSpecBytes)
            {
                break;
            }

            size = nextSize;
            messageBytes = nextBytes;
            count++;
        }

        if (count == 0)
        {
            var index = start;
            var message = lane.Batch.Messages[index];
            var why = lane.MessageSizes[index] > _publisher.MaxMessageSize
                ? "its size by Ably's rule (name + data + extras) is " + lane.MessageSizes[index].ToString(CultureInfo.InvariantCulture) + " bytes; the limit is " + _publisher.MaxMessageSize.ToString(CultureInfo.InvariantCulture) + " (AblyOptions.MaxMessageSize)"
                : "its JSON is " + lane.MessageLengths[index].ToString(CultureInfo.InvariantCulture) + " bytes, too large for one request of at most " + _publisher.MaxRequestBytes.ToString(CultureInfo.InvariantCulture) + " bytes (AblyOptions.MaxRequestBytes)";
            var error = new AblyErrorInfo(AblyErrorRules.MessageTooLarge, 400, "Message too large: " + why);
            LogMessages.MessageTooLarge(_publisher.Logger, lane.Channel, index, message.Id, error);
            Finish(lane, PublishStatus.Rejected, error, rejectedIndex: index);
            spec = default;
            specBytes = 0;
            return false;
        }

        lane.CachedStart = start;
        lane.CachedLimit = lane.MaxChunk;
        lane.CachedCount = count;
        lane.CachedBytes = (int)(fixedBytes + messageBytes);
        spec = new BatchSpec(lane, start, count);
        specBytes = lane.CachedBytes;
        return true;
    }

    private BatchRequest Assemble(List<BatchSpec> specs, int length, int messages)
    {
        var body = ArrayPool<byte>.Shared.Rent(length);
        var target = body.AsSpan(0, length);
        var source = _buffer.WrittenSpan;
        var position = 0;
        target[position++] = (byte)'[';
        for (var s = 0; s < specs.Count; s++)
        {
            var spec = specs[s];
            var lane = spec.Lane;
            if (s > 0)
            {
                target[position++] = (byte)',';
            }

            position += Copy(AblyWireFormat.SpecStart, target, position);
            position += Copy(source.Slice(lane.ChannelOffset, lane.ChannelLength), target, position);
            position += Copy(AblyWireFormat.SpecMiddle, target, position);
            var first = lane.MessageOffsets[spec.Start];
            var last = spec.Start + spec.Count - 1;
            position += Copy(source.Slice(first, lane.MessageOffsets[last] + lane.MessageLengths[last] - first), target, position);
            position += Copy(AblyWireFormat.SpecEnd, target, position);
        }

        target[position++] = (byte)']';
        Debug.Assert(position == length, "The computed request size must match the assembled body.");
        return new BatchRequest(specs, body, length, messages);
    }

    private static int Copy(ReadOnlySpan<byte> source, Span<byte> target, int position)
    {
        source.CopyTo(target.Slice(position));
        return source.Length;
    }

    /// <summary>Time until the earliest lane waiting for a retry may go, or null when no lane is waiting.</summary>
    private TimeSpan? NextWake(long now)
    {
        var earliest = long.MaxValue;
        foreach (var lane in _lanes)
        {
            if (lane.Result is null && !lane.InFlight && lane.NotBefore < earliest)
            {
                earliest = lane.NotBefore;
            }
        }

        if (earliest == long.MaxValue)
        {
            return null;
        }

        var ticks = Math.Max(0, earliest - now);
        var wait = TimeSpan.FromSeconds((double)ticks / _publisher.Time.TimestampFrequency);
        return wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait;
    }

    private void Apply(BatchRequest request, RequestOutcome outcome, long now)
    {
        foreach (var spec in request.Specs)
        {
            spec.Lane.InFlight = false;
        }

        switch (outcome.Kind)
        {
            case RequestOutcomeKind.Completed:
                foreach (var spec in request.Specs)
                {
                    AblyErrorInfo? error = null;
                    if (outcome.Channels is not null && !outcome.Channels.TryGetValue(spec.Lane.Channel, out error))
                    {
                        error = new AblyErrorInfo(50000, 500, "The batch publish response has no result for this channel");
                    }

                    if (error is null)
                    {
                        Accept(spec);
                    }
                    else
                    {
                        ChannelFailed(spec, error, now);
                    }
                }

                break;

            case RequestOutcomeKind.BadRequest:
                if (request.Specs.Count > 1)
                {
                    LogMessages.PublisherIsolating(_publisher.Logger, request.Specs.Count, outcome.Error!);
                    foreach (var spec in request.Specs)
                    {
                        spec.Lane.Solo = true;
                        spec.Lane.SuspectEnd = Math.Max(spec.Lane.SuspectEnd, spec.Start + spec.Count);
                    }
                }
                else
                {
                    Split(request.Specs[0], outcome.Error!, solo: true);
                }

                break;

            case RequestOutcomeKind.Unauthorized:
                foreach (var spec in request.Specs)
                {
                    Finish(spec.Lane, PublishStatus.Unauthorized, outcome.Error);
                }

                if (_halt is null)
                {
                    LogMessages.PublisherUnauthorized(_publisher.Logger, _publisher.Key.KeyName, outcome.Error!, request.Specs.Count + CountIdle());
                    _halt = new Halt(PublishStatus.Unauthorized, outcome.Error!, null);
                }

                break;

            case RequestOutcomeKind.GiveUp:
                foreach (var spec in request.Specs)
                {
                    Finish(spec.Lane, PublishStatus.RetryLater, outcome.Error, retryAfter: outcome.RetryAfter);
                }

                if (outcome.HaltAll && _halt is null)
                {
                    if (outcome.BudgetExhausted)
                    {
                        LogMessages.RetryBudgetExhausted(_publisher.Logger,
                            LogMessages.Ms(_publisher.MaxRetryDuration),
                            LogMessages.Ms(_publisher.Time.GetElapsedTime(_started)),
                            request.Specs.Count + CountIdle(),
                            outcome.Error!);
                    }

                    _halt = new Halt(PublishStatus.RetryLater, outcome.Error!, outcome.RetryAfter);
                }

                break;
        }
    }

    private void Accept(BatchSpec spec)
    {
        var lane = spec.Lane;
        lane.Accepted = spec.Start + spec.Count;
        lane.RetryAttempts = 0;
        if (lane.Accepted >= lane.SuspectEnd)
        {
            lane.Solo = false;
            lane.MaxChunk = int.MaxValue;
        }

        if (lane.Accepted == lane.MessageOffsets.Length)
        {
            Finish(lane, PublishStatus.Accepted, null);
        }
    }

    private void ChannelFailed(BatchSpec spec, AblyErrorInfo error, long now)
    {
        var lane = spec.Lane;
        if (AblyErrorRules.IsRetryable(error))
        {
            var delay = AblyRestPublisher.Backoff(lane.RetryAttempts);
            lane.RetryAttempts++;
            if (!CanRetryAfter(delay))
            {
                LogMessages.RetryBudgetExhausted(_publisher.Logger,
                    LogMessages.Ms(_publisher.MaxRetryDuration),
                    LogMessages.Ms(_publisher.Time.GetElapsedTime(_started)),
                    1,
                    error);
                Finish(lane, PublishStatus.RetryLater, error);
                return;
            }

            if (AblyErrorRules.IsRateLimit(error))
            {
                LogMessages.PublisherRateLimited(_publisher.Logger, "channel " + lane.Channel, error, LogMessages.Ms(delay));
            }
            else
            {
                LogMessages.PublisherChannelRetry(_publisher.Logger, lane.Channel, error, lane.RetryAttempts, LogMessages.Ms(delay));
            }

            lane.NotBefore = now + (long)(delay.TotalSeconds * _publisher.Time.TimestampFrequency);
            return;
        }

        if (AblyErrorRules.IsCredentialError(error))
        {
            LogMessages.PublisherUnauthorized(_publisher.Logger, _publisher.Key.KeyName, error, 1);
            Finish(lane, PublishStatus.Unauthorized, error);
            return;
        }

        Split(spec, error, solo: false);
    }

    /// <summary>
    /// A rejected chunk: with several messages (and an error that may concern one of them) retry with half as many per
    /// request until the guilty message is alone; a lone message is rejected for good.
    /// </summary>
    private void Split(BatchSpec spec, AblyErrorInfo error, bool solo)
    {
        var lane = spec.Lane;
        if (spec.Count > 1 && !AblyErrorRules.IsChannelWide(error))
        {
            var limit = Math.Max(1, spec.Count / 2);
            LogMessages.PublisherSplitting(_publisher.Logger, lane.Channel, spec.Start, spec.Count, error, limit);
            lane.MaxChunk = limit;
            lane.SuspectEnd = Math.Max(lane.SuspectEnd, spec.Start + spec.Count);
            lane.Solo |= solo;
            return;
        }

        var message = lane.Batch.Messages[spec.Start];
        LogMessages.MessageRejected(_publisher.Logger, lane.Channel, spec.Start, message.Id, error, lane.Accepted);
        Finish(lane, PublishStatus.Rejected, error, rejectedIndex: spec.Start);
    }

    private void ApplyHalt()
    {
        if (_halt is not { } halt)
        {
            return;
        }

        foreach (var lane in _lanes)
        {
            if (lane.Result is null && !lane.InFlight)
            {
                Finish(lane, halt.Status, halt.Error, retryAfter: halt.RetryAfter);
            }
        }
    }

    private int CountIdle()
    {
        var count = 0;
        foreach (var lane in _lanes)
        {
            if (lane.Result is null && !lane.InFlight)
            {
                count++;
            }
        }

        return count;
    }

    private static void Finish(ChannelLane lane, PublishStatus status, AblyErrorInfo? error, int? rejectedIndex = null, TimeSpan? retryAfter = null)
    {
        lane.Result ??= new ChannelPublishResult(lane.Channel, status, error, rejectedIndex, retryAfter, lane.Accepted);
    }

    private sealed record Halt(PublishStatus Status, AblyErrorInfo Error, TimeSpan? RetryAfter);

    private readonly record struct Completion(BatchRequest Request, RequestOutcome Outcome);
}

/// <summary>Progress of one channel's batch within a <see cref="PublishOperation"/>.</summary>
internal sealed class ChannelLane
{
    public ChannelLane(ChannelBatch batch, int count)
    {
        Batch = batch;
        MessageOffsets = new int[count];
        MessageLengths = new int[count];
        MessageSizes = new int[count];
    }

    public ChannelBatch Batch { get; }

    public string Channel => Batch.Channel;

    /// <summary>Offset and length of the channel name as a JSON string literal in the operation's buffer.</summary>
    public int ChannelOffset { get; set; }

    public int ChannelLength { get; set; }

    /// <summary>Offset of each serialized message in the operation's buffer.</summary>
    public int[] MessageOffsets { get; }

    public int[] MessageLengths { get; }

    /// <summary>Ably (TM6) size of each message.</summary>
    public int[] MessageSizes { get; }

    /// <summary>Leading messages accepted so far.</summary>
    public int Accepted { get; set; }

    public bool InFlight { get; set; }

    /// <summary>Timestamp before which the lane must not be sent (per-channel retry backoff).</summary>
    public long NotBefore { get; set; }

    public int RetryAttempts { get; set; }

    /// <summary>While true the lane is sent in a request of its own (it is suspected of a request-level rejection).</summary>
    public bool Solo { get; set; }

    /// <summary>Most messages per chunk while searching for a rejected message.</summary>
    public int MaxChunk { get; set; } = int.MaxValue;

    /// <summary>End (exclusive) of the range that contains a suspect message; the search ends once it is accepted.</summary>
    public int SuspectEnd { get; set; }

    public int CachedStart { get; set; } = -1;

    public int CachedLimit { get; set; }

    public int CachedCount { get; set; }

    public int CachedBytes { get; set; }

    public ChannelPublishResult? Result { get; set; }
}

/// <summary>A run of one lane's messages sent as one BatchSpec.</summary>
internal readonly record struct BatchSpec(ChannelLane Lane, int Start, int Count);

/// <summary>One batch publish request: its specs and its pooled JSON body.</summary>
internal sealed class BatchRequest : IDisposable
{
    private byte[]? _body;

    public BatchRequest(List<BatchSpec> specs, byte[] body, int length, int messageCount)
    {
        Specs = specs;
        _body = body;
        Length = length;
        MessageCount = messageCount;
    }

    public IReadOnlyList<BatchSpec> Specs { get; }

    public int Length { get; }

    public int MessageCount { get; }

    public ReadOnlyMemory<byte> Body => (_body ?? throw new ObjectDisposedException(nameof(BatchRequest))).AsMemory(0, Length);

    public void Dispose()
    {
        var body = Interlocked.Exchange(ref _body, null);
        if (body is not null)
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }
}
