using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped;

/// <summary>
/// Subscribes to the typed changes AblyPgTyped publishes, over Ably's SSE endpoint (or the local endpoint's): each
/// subscription is an <see cref="IAsyncEnumerable{T}"/> of <see cref="Change{T}"/> that reconnects by itself after a
/// drop and resumes from the last event it saw. One subscriber can hold many subscriptions; dispose it after them.
/// </summary>
/// <example>
/// <code>
/// using var subscriber = new ChangeSubscriber(new ChangeSubscriberOptions { Key = apiKey });
/// await using var orders = await subscriber.SubscribeAsync(AblyPgTables.Order, ["orders", "customers:7"]);
/// await foreach (Change&lt;Order&gt; change in orders) { … }
/// </code>
/// </example>
public sealed class ChangeSubscriber : IDisposable
{
    private readonly ChangeSubscriberOptions _options;
    private readonly HttpClient _http;

    /// <summary>Creates a subscriber.</summary>
    /// <exception cref="Publishing.AblyConfigurationException">The options are incomplete or out of range; the message names the setting.</exception>
    public ChangeSubscriber(ChangeSubscriberOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = options.RealtimeRequestTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5), // a long-lived subscriber follows DNS changes
        })
        {
            Timeout = Timeout.InfiniteTimeSpan, // a stream stays open; opening and silence have timeouts of their own
        };
    }

    /// <summary>
    /// Opens a subscription to <paramref name="channels"/> and returns once the stream is open, so every change published
    /// after that is received. Messages of other tables on these channels are skipped.
    /// </summary>
    /// <param name="table">The generated mapping of the table, e.g. <c>AblyPgTables.Order</c>.</param>
    /// <param name="channels">The channels, as resolved (<c>customers:7</c>, not <c>customers:{CustomerId}</c>).</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <exception cref="ChangeSubscriptionException">Ably refused the subscription (a wrong key: code 40101), or the endpoint could not be reached.</exception>
    public async Task<ChangeSubscription<T>> SubscribeAsync<T>(AblyTable<T> table, IEnumerable<string> channels, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(channels);
        var names = channels.Distinct(StringComparer.Ordinal).ToArray();
        if (names.Length == 0 || names.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("Subscribe to at least one channel, and name each.", nameof(channels));
        }

        var opener = new SseStreamOpener(_http, _options, names);
        var (response, events) = await opener.OpenAsync(null, cancellationToken).ConfigureAwait(false);
        return new ChangeSubscription<T>(table, names, opener, new ReconnectBackoff(_options.DisconnectedRetryTimeout), _options.DisconnectedRetryTimeout, response, events);
    }

    /// <summary>Closes the connections of every subscription made by this subscriber.</summary>
    public void Dispose() => _http.Dispose();
}
