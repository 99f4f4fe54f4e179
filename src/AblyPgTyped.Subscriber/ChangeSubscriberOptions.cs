using System;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Publishing;

namespace AblyPgTyped;

/// <summary>
/// How a <see cref="ChangeSubscriber"/> reaches Ably's SSE endpoint. The names are those of the Ably SDK's
/// <c>ClientOptions</c> where they mean the same thing (<see cref="Key"/>, <see cref="Token"/>, <see cref="Endpoint"/>,
/// <see cref="Port"/>, <see cref="Tls"/>, <see cref="DisconnectedRetryTimeout"/>, <see cref="RealtimeRequestTimeout"/>),
/// and <see cref="RestHost"/> is the connector's own option, so one set of settings points both at a local endpoint.
/// </summary>
public sealed class ChangeSubscriberOptions
{
    /// <summary>Ably's default primary domain, which serves <c>/sse</c>.</summary>
    public const string DefaultHost = "main.realtime.ably.net";

    /// <summary>
    /// The full API key, <c>keyName:keySecret</c>, sent with HTTP Basic authentication. It never appears in an exception
    /// message. Set this, <see cref="Token"/> or <see cref="AuthCallback"/>.
    /// </summary>
    public string? Key { get; set; }

    /// <summary>A token (an Ably token or JWT), sent as <c>Authorization: Bearer</c>. It cannot be renewed: for long-lived
    /// subscriptions use <see cref="AuthCallback"/>.</summary>
    public string? Token { get; set; }

    /// <summary>Called for a token before each connection, including every reconnection, so an expired token is
    /// replaced by a fresh one. Wins over <see cref="Token"/>.</summary>
    public Func<CancellationToken, ValueTask<string>>? AuthCallback { get; set; }

    /// <summary>
    /// Which Ably endpoint, as ably-js names it: null or <c>main</c> for Ably's primary domain; <c>nonprod:name</c> for
    /// <c>name.realtime.ably-nonprod.net</c>; a host name (one with a dot, <c>localhost</c>) or IP address, used as it is.
    /// </summary>
    public string? Endpoint { get; set; }

    /// <summary>A host name or IP address, used as it is: the connector's <c>Ably.RestHost</c>. Set it or <see cref="Endpoint"/>.</summary>
    public string? RestHost { get; set; }

    /// <summary>TCP port. Null (the default) means 443 with <see cref="Tls"/> on and 80 with it off.</summary>
    public int? Port { get; set; }

    /// <summary>Use HTTPS (default true). Off sends the credentials over plain HTTP: only for a local endpoint.</summary>
    public bool Tls { get; set; } = true;

    /// <summary>
    /// The base of the pause before reconnecting after a connection dropped (default 15 s, as Ably's). The first
    /// reconnection is immediate; each later one waits this long times Ably's backoff coefficient (1, 4/3, 5/3, then 2),
    /// less up to 20% of jitter.
    /// </summary>
    public TimeSpan DisconnectedRetryTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long opening the stream may take, up to its response headers (default 10 s, as Ably's).</summary>
    public TimeSpan RealtimeRequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the open stream may stay silent, with neither a message nor a keepalive, before it is taken for dropped
    /// and reopened from the last event seen (default 25 s: Ably's 15 s keepalive and 10 s of margin).
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>The host the options name.</summary>
    internal string Host
    {
        get
        {
            if (!string.IsNullOrEmpty(RestHost))
            {
                return RestHost;
            }

            var endpoint = Endpoint;
            if (string.IsNullOrEmpty(endpoint) || endpoint == "main")
            {
                return DefaultHost;
            }

            if (endpoint.StartsWith("nonprod:", StringComparison.Ordinal))
            {
                return endpoint["nonprod:".Length..] + ".realtime.ably-nonprod.net";
            }

            return endpoint.Contains('.', StringComparison.Ordinal) || endpoint.Contains("::", StringComparison.Ordinal) || endpoint == "localhost"
                ? endpoint
                : endpoint + ".realtime.ably.net";
        }
    }

    /// <summary>The base address of the endpoint.</summary>
    internal Uri BaseAddress => new UriBuilder(Tls ? "https" : "http", Host, Port ?? (Tls ? 443 : 80)).Uri;

    /// <summary>Throws <see cref="AblyConfigurationException"/> naming the first setting that is missing or out of range.</summary>
    internal void Validate()
    {
        if (Key is null && Token is null && AuthCallback is null)
        {
            throw new AblyConfigurationException("ChangeSubscriberOptions needs credentials: set Key (the full API key \"keyName:keySecret\"), Token or AuthCallback.");
        }

        if (Key is not null && SubscriberKey.Problem(Key) is { } problem)
        {
            throw new AblyConfigurationException("ChangeSubscriberOptions.Key " + problem + ".");
        }

        if (!string.IsNullOrEmpty(RestHost) && !string.IsNullOrEmpty(Endpoint) && Endpoint != RestHost)
        {
            throw new AblyConfigurationException("ChangeSubscriberOptions: set Endpoint or RestHost, not both.");
        }

        if (Uri.CheckHostName(Host) == UriHostNameType.Unknown)
        {
            throw new AblyConfigurationException($"ChangeSubscriberOptions: '{Host}' is not a host name or IP address (give no scheme, port or path).");
        }

        if (Port is < 1 or > 65535)
        {
            throw new AblyConfigurationException($"ChangeSubscriberOptions.Port {Port} is not a TCP port (1-65535).");
        }

        RequirePositive(DisconnectedRetryTimeout, nameof(DisconnectedRetryTimeout));
        RequirePositive(RealtimeRequestTimeout, nameof(RealtimeRequestTimeout));
        RequirePositive(IdleTimeout, nameof(IdleTimeout));
    }

    private static void RequirePositive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new AblyConfigurationException($"ChangeSubscriberOptions.{name} must be positive; it is {value}.");
        }
    }
}
