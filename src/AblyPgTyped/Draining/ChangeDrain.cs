using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using AblyPgTyped.Observability;
using AblyPgTyped.Publishing;
using Microsoft.Extensions.Logging;

namespace AblyPgTyped.Draining;

/// <summary>
/// The active connector's work: read captured rows, decode them into changes, hand each to its channel's lane, and
/// forget rows once every change in them was accepted by Ably (and its handlers ran) or dead-lettered — in that
/// order, so a crash at any point re-sends rather than loses.
/// </summary>
/// <remarks>
/// Three loops run side by side: this reader (the only user of the leader's database session), the
/// <see cref="PublishScheduler"/>, and the handlers. What they hold is bounded in changes and bytes; rows are
/// forgotten as soon as their channels are done, so a restart re-sends only what was accepted moments before, with
/// the same message ids.
/// </remarks>
internal sealed class ChangeDrain(
    ConnectorOptions options,
    IReadOnlyDictionary<(string Schema, string Table), ChangeMapping> mappings,
    AblyRestPublisher publisher,
    LeaderFence fence,
    string installId,
    ConnectorTelemetry telemetry,
    ILogger logger)
{
    /// <summary>Most changes one read takes: small enough that publishing starts while the backlog is still being read.</summary>
    private const int MaxChangesPerRead = 5_000;

    /// <summary>Most captured bytes one read takes.</summary>
    private const long MaxBytesPerRead = 16 * 1024 * 1024;

    /// <summary>How long stopping may spend forgetting what Ably already accepted.</summary>
    private static readonly TimeSpan ForgetOnStopTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How often a full drain, waiting on Ably, shows the leader's session is alive (see <see cref="LeaderLease"/>).</summary>
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(1);

    private long _lastKeepAlive;

    /// <summary>Longest pause between reads while changes are in flight.</summary>
    private static readonly TimeSpan BusyPollCeiling = TimeSpan.FromMilliseconds(16);

    /// <summary>
    /// How long a row's finished changes wait, while others of the row are still on their way, before they are marked
    /// in the store (so a restart does not send them again). Most rows finish whole sooner, and are simply deleted.
    /// </summary>
    private static readonly TimeSpan PartlyFinishedAge = TimeSpan.FromSeconds(1);

    /// <summary>Most rows marked in one transaction.</summary>
    private const int MaxPartRowsPerTransaction = 1_000;

    private long _nextPartCheck;

    /// <summary>
    /// What a byte of captured JSON became in memory over the last read (its changes' messages and objects): a read is
    /// bounded in captured bytes, the drain in what it holds, so that one read does not overshoot the room left.
    /// </summary>
    private double _heldPerCapturedByte = 3;

    public async Task RunAsync(ICaptureSource source, CancellationToken stopping)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        await fence.PrepareAsync(stopping); // the cuts earlier leaders recorded, before anything is cut
        var progress = new DrainProgress(logger, telemetry);
        var scheduler = new PublishScheduler(
            options, publisher, fence, progress, new MessageBuilder(installId, options.CompatibleMessages), new PublishObserver(telemetry), logger);
        var decoder = new ChangeDecoder(mappings, new MessageBuilder(installId, options.CompatibleMessages), options.Ably.Limits.MaxMessageSize, options.Capture);
        var publishing = Task.Run(() => scheduler.RunAsync(stop.Token), CancellationToken.None);
        var handling = Task.Run(() => RunHandlersAsync(progress, stop.Token), CancellationToken.None);
        try
        {
            await ReadAsync(source, progress, decoder, scheduler, publishing, handling, stop.Token);
        }
        finally
        {
            await stop.CancelAsync();
            progress.Close();
            try
            {
                await Task.WhenAll(publishing, handling);
            }
            catch
            {
                // The reader's own exception (or the caller's cancellation) is the one that matters.
            }

            await ForgetOnStopAsync(source, progress);
        }
    }

    /// <summary>
    /// On the way out, forgets what Ably already accepted, so a restart re-sends nothing it need not. Best effort: if
    /// the session is gone, those rows stay and are re-sent with the same ids.
    /// </summary>
    private async Task ForgetOnStopAsync(ICaptureSource source, DrainProgress progress)
    {
        using var timeout = new CancellationTokenSource(ForgetOnStopTimeout);
        try
        {
            while (progress.HasCompleted || progress.HasPartlyFinished)
            {
                await ForgetFinishedAsync(source, progress, long.MaxValue, timeout.Token);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogMessages.ForgetOnStopFailed(logger, e.Message);
        }
    }

    private async Task ReadAsync(
        ICaptureSource source, DrainProgress progress, ChangeDecoder decoder, PublishScheduler scheduler, Task publishing, Task handling, CancellationToken stopping)
    {
        var idleSteps = 0;
        var changes = new List<PendingChange>();
        var deadLetters = new List<DeadLetter>();
        while (true)
        {
            stopping.ThrowIfCancellationRequested();
            if (publishing.IsCompleted || handling.IsCompleted)
            {
                await Task.WhenAny(publishing, handling).Unwrap(); // a lost leadership ends the drain here
                throw new InvalidOperationException("The publishing loop ended unexpectedly.");
            }

            // Short statements on the leader's session run to the end: cancelling one mid-flight may break the session,
            // and stopping still needs it to forget what Ably accepted (ForgetOnStopAsync). Stopping is seen between them.
            await ForgetFinishedAsync(source, progress, PartlyFinishedBefore(), CancellationToken.None);
            var roomChanges = options.MaxChangesInFlight - progress.HeldChanges;
            var roomBytes = options.MaxBytesInFlight - progress.HeldBytes;
            if (roomChanges > 0 && roomBytes > 0)
            {
                var maxBytes = Math.Max(1, Math.Min((long)(roomBytes / _heldPerCapturedByte), MaxBytesPerRead));
                var rows = await source.ReadAsync((int)Math.Min(roomChanges, MaxChangesPerRead), maxBytes, CancellationToken.None);
                if (rows.Count > 0)
                {
                    idleSteps = 0;
                    changes.Clear();
                    var total = 0;
                    long captured = 0, heldBytes = 0;
                    foreach (var row in rows)
                    {
                        total += row.Count;
                        var held = new HeldRow(row.Id, row.Count);
                        var before = changes.Count;
                        deadLetters.Clear();
                        decoder.Decode(row, held, changes, deadLetters);
                        held.Measure(row, changes, before, changes.Count - before);
                        progress.Hold(held, changes.Count - before, deadLetters);
                        captured += row.Data.Length;
                        heldBytes += held.Bytes;
                    }

                    _heldPerCapturedByte = Math.Max(1, (double)heldBytes / Math.Max(1, captured));

                    LogMessages.Read(logger, rows.Count, total);
                    telemetry.Metrics.Read(total);
                    scheduler.Enqueue(changes, source.Unread);
                    continue;
                }
            }

            if (progress.HeldRows == 0)
            {
                // A few short polls catch a steady stream without waking writers; then arm the wake-up and wait.
                if (idleSteps < 4)
                {
                    await Task.Delay(1 << idleSteps, stopping);
                    idleSteps++;
                }
                else
                {
                    await source.WaitForChangesAsync(options.IdleWakeupTimeout, stopping);
                }
            }
            else
            {
                // Changes are in flight: forget them as soon as they complete, and look for new ones now and then.
                var pause = TimeSpan.FromMilliseconds(Math.Min(BusyPollCeiling.TotalMilliseconds, 1 << Math.Min(idleSteps, 4)));
                idleSteps++;
                await progress.WaitAsync(pause, stopping);
                if (roomChanges <= 0 || roomBytes <= 0)
                {
                    // Full and waiting on Ably: nothing else touches the session, so show the lease it is alive.
                    if (Stopwatch.GetElapsedTime(_lastKeepAlive) >= KeepAliveInterval)
                    {
                        await source.KeepAliveAsync(stopping);
                        _lastKeepAlive = Stopwatch.GetTimestamp();
                    }
                }
            }
        }
    }

    /// <summary>Whether the partly finished rows are due to be looked at: a timestamp, or <see cref="long.MinValue"/> for not now.</summary>
    private long PartlyFinishedBefore()
    {
        var now = Stopwatch.GetTimestamp();
        if (now < _nextPartCheck)
        {
            return long.MinValue;
        }

        _nextPartCheck = now + (Stopwatch.Frequency / 4);
        return now - (long)(PartlyFinishedAge.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>
    /// Deletes the rows whose changes are all finished, and marks the finished changes of rows finished before
    /// <paramref name="partlyFinishedBefore"/> but still partly on their way, with the dead letters of both.
    /// </summary>
    private static async Task ForgetFinishedAsync(ICaptureSource source, DrainProgress progress, long partlyFinishedBefore, CancellationToken stopping)
    {
        if (!progress.HasCompleted && (partlyFinishedBefore == long.MinValue || !progress.HasPartlyFinished))
        {
            return;
        }

        var (rowIds, finished, deadLetters) = progress.TakeFinished(partlyFinishedBefore, MaxPartRowsPerTransaction);
        if (rowIds.Count > 0 || finished.Count > 0 || deadLetters.Count > 0)
        {
            await source.CompleteAsync(rowIds, finished, deadLetters, stopping);
        }
    }

    private async Task RunHandlersAsync(DrainProgress progress, CancellationToken stopping)
    {
        await foreach (var pending in progress.HandlerQueue.ReadAllAsync(stopping))
        {
            var change = pending.Change;
            try
            {
                await change.InvokeHandlersAsync(stopping);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
            {
                LogMessages.HandlerFailed(logger, change.Kind, change.Mapping.DisplayName, change.Position, e);
            }

            progress.HandlersDone(pending);
        }
    }
}
