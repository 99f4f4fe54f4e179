using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped;

/// <summary>
/// An open subscription: the changes of one table on a set of channels, in the order each channel delivers them.
/// After a drop (a closed connection, an error Ably reports as temporary, or <see cref="ChangeSubscriberOptions.IdleTimeout"/>
/// of silence) it reconnects with backoff and resumes after the last event it saw, so nothing is lost or repeated
/// while Ably still holds that point (2 minutes). A change whose position its channel delivered before (a bundle
/// re-sent after a connector crash) is dropped. Read it once, by one reader; enumeration ends only by cancellation,
/// <see cref="DisposeAsync"/>, or a <see cref="ChangeSubscriptionException"/>.
/// </summary>
/// <typeparam name="T">The mapped row type.</typeparam>
public sealed class ChangeSubscription<T> : IAsyncEnumerable<Change<T>>, IAsyncDisposable
{
    /// <summary>How many recent positions each channel remembers, to drop repeats.</summary>
    private const int PositionsPerChannel = 10_000;

    private readonly AblyTable<T> _table;
    private readonly SseStreamOpener _opener;
    private readonly ReconnectBackoff _backoff;
    private readonly TimeSpan _retryTimeout;
    private readonly PositionWindow _seen = new(PositionsPerChannel);
    private readonly CancellationTokenSource _disposed = new();
    private HttpResponseMessage? _response;
    private SseEventReader? _events;
    private long _openedAt = Stopwatch.GetTimestamp();
    private bool _delivered;
    private int _reading;

    internal ChangeSubscription(
        AblyTable<T> table, IReadOnlyList<string> channels, SseStreamOpener opener, ReconnectBackoff backoff, TimeSpan retryTimeout,
        HttpResponseMessage response, SseEventReader events)
    {
        _table = table;
        Channels = channels;
        _opener = opener;
        _backoff = backoff;
        _retryTimeout = retryTimeout;
        _response = response;
        _events = events;
    }

    /// <summary>The channels subscribed to.</summary>
    public IReadOnlyList<string> Channels { get; }

    /// <summary>The id of the last event received, from which the next connection resumes; null before the first.</summary>
    public string? LastEventId { get; private set; }

    /// <summary>How many times the stream was reopened after a drop.</summary>
    internal int Reconnections { get; private set; }

    /// <summary>The changes, with the channel and message each came in.</summary>
    /// <exception cref="ChangeSubscriptionException">Ably refused the subscription for good, or a message is not a change of the table.</exception>
    public async IAsyncEnumerable<ReceivedChange<T>> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _reading, 1) != 0)
        {
            throw new InvalidOperationException("A subscription has one reader at a time.");
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        try
        {
            while (true)
            {
                var (message, eventId) = await NextMessageAsync(stop.Token).ConfigureAwait(false);
                foreach (var change in Read(message))
                {
                    if (change.Position == default || _seen.Add(message.Channel, change.Position))
                    {
                        yield return new ReceivedChange<T>(message.Channel, message.Id, eventId, change);
                    }
                }
            }
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }

    /// <summary>The changes alone.</summary>
    public async IAsyncEnumerator<Change<T>> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        await foreach (var received in ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return received.Change;
        }
    }

    /// <summary>Closes the stream; a reader waiting on it ends with <see cref="OperationCanceledException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync().ConfigureAwait(false);
        Drop();
    }

    /// <summary>The next Ably message, across as many reconnections as it takes.</summary>
    private async Task<(EnvelopedMessage Message, string? EventId)> NextMessageAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_events is null)
            {
                await ReconnectAsync(cancellationToken).ConfigureAwait(false);
            }

            SseEvent? next;
            try
            {
                next = await _events!.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (cancellationToken.IsCancellationRequested && e is not OperationCanceledException)
            {
                throw new OperationCanceledException("The subscription was cancelled or disposed.", e, cancellationToken);
            }
            catch (Exception e) when (e is IOException or HttpRequestException or TimeoutException or ObjectDisposedException or NullReferenceException)
            {
                next = null;
            }

            switch (next?.Type)
            {
                case null:
                    Drop(); // the stream ended, broke or went silent
                    break;
                case "message":
                    var message = Parse(next);
                    _delivered = true;
                    LastEventId = next.Id ?? LastEventId;
                    return (message, next.Id);
                case "error":
                    var error = AblyError.TryParse(next.Data, 500, out var parsed) ? parsed : new AblyError(50000, 500, next.Data);
                    var refused = _opener.Refused(error);
                    if (!refused.IsTransient)
                    {
                        throw refused;
                    }

                    Drop();
                    break;
            }
        }
    }

    private async Task ReconnectAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var pause = _backoff.Next();
            if (pause > TimeSpan.Zero)
            {
                await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
            }

            try
            {
                (_response, _events) = await _opener.OpenAsync(LastEventId, cancellationToken).ConfigureAwait(false);
                _openedAt = Stopwatch.GetTimestamp();
                _delivered = false;
                Reconnections++;
                return;
            }
            catch (ChangeSubscriptionException e) when (e.IsTransient)
            {
                // Unreachable, throttled, failing, or a token to renew: try again after the next pause.
            }
        }
    }

    /// <summary>Closes the current stream. One that worked a while makes the next reconnection immediate.</summary>
    private void Drop()
    {
        if (_delivered || Stopwatch.GetElapsedTime(_openedAt) > _retryTimeout)
        {
            _backoff.Reset();
        }

        _events?.Dispose();
        _response?.Dispose();
        (_events, _response) = (null, null);
    }

    private EnvelopedMessage Parse(SseEvent message)
    {
        try
        {
            return EnvelopedMessage.Parse(message.Data);
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            throw new ChangeSubscriptionException($"Event {message.Id} from {_opener.Describe()} is not an Ably message: {e.Message}", e);
        }
    }

    /// <summary>The message's changes; none for a message of another table (by its headers).</summary>
    private IReadOnlyList<Change<T>> Read(EnvelopedMessage message)
    {
        if ((message.Schema is not null && message.Schema != _table.Schema) || (message.Table is not null && message.Table != _table.Name))
        {
            return [];
        }

        try
        {
            return ChangeReader.ReadData(_table, message.Data);
        }
        catch (JsonException e)
        {
            throw new ChangeSubscriptionException(
                $"Message {message.Id} ({message.Name}) on {message.Channel} is not a change of {_table.Schema}.{_table.Name}: {e.Message}", e);
        }
    }
}
