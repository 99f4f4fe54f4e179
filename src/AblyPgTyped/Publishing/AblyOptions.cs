using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;

namespace AblyPgTyped.Publishing;

/// <summary>
/// How the connector reaches Ably's REST API. Bindable from <c>Microsoft.Extensions.Configuration</c>
/// (e.g. the <c>"Ably"</c> section: <c>{ "ApiKey": "appId.keyId:secret" }</c>). Call <see cref="Validate"/> to check it.
/// </summary>
public sealed class AblyOptions
{
    /// <summary>Ably's default primary REST domain.</summary>
    public const string DefaultRestHost = "main.realtime.ably.net";

    /// <summary>Default for <see cref="MaxRequestBytes"/>: 2 MiB minus 1 KiB (Ably requires batch bodies smaller than 2 MiB).</summary>
    public const int DefaultMaxRequestBytes = (2 * 1024 * 1024) - 1024;

    private static readonly string[] DefaultFallbackHostList =
    {
        "main.a.fallback.ably-realtime.com",
        "main.b.fallback.ably-realtime.com",
        "main.c.fallback.ably-realtime.com",
        "main.d.fallback.ably-realtime.com",
        "main.e.fallback.ably-realtime.com",
    };

    /// <summary>
    /// The full API key, <c>keyName:keySecret</c> (for example <c>appId.keyId:secret</c>). Required. It is sent with
    /// HTTP Basic authentication and is never written to logs or exception messages.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// The same as <see cref="ApiKey"/>, under the name the Ably SDK's <c>ClientOptions</c> gives it; binds from
    /// configuration as <c>Key</c>.
    /// </summary>
    public string? Key
    {
        get => ApiKey;
        set => ApiKey = value;
    }

    /// <summary>
    /// REST host name or IP address, without scheme, port or path. Null (the default) means Ably's primary domain
    /// <c>main.realtime.ably.net</c> together with its five default fallback domains; a custom host has no fallback
    /// hosts unless <see cref="FallbackHosts"/> names some.
    /// </summary>
    public string? RestHost { get; set; }

    /// <summary>TCP port. Null (the default) means 443 when <see cref="Tls"/> is on and 80 when it is off.</summary>
    public int? Port { get; set; }

    /// <summary>
    /// Use HTTPS (default true). Turning it off sends the API key over plain HTTP: only do so for a local endpoint;
    /// a warning is logged when the host is not a loopback address, and the real Ably service refuses it (error 40103).
    /// </summary>
    public bool Tls { get; set; } = true;

    /// <summary>
    /// Hosts tried, in random order, when the primary host is unreachable, times out or answers 500–504.
    /// Null (the default) means Ably's default fallback domains for the default host and none for a custom
    /// <see cref="RestHost"/>; an empty list disables fallbacks. Entries are host names or IP addresses (no scheme, port or path)
    /// and use <see cref="Port"/>.
    /// </summary>
    public IList<string>? FallbackHosts { get; set; }

    /// <summary>Time limit of one HTTP request, from sending to the end of the response body. Default 10 seconds.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long one publish call may keep retrying failed requests (exponential backoff with jitter, fallback hosts,
    /// <c>Retry-After</c>). When it is used up, what is left is reported as "retry later" rather than thrown.
    /// Zero disables retries. Default 15 seconds.
    /// </summary>
    public TimeSpan MaxRetryDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The same as <see cref="RequestTimeout"/>, under the Ably SDK's <c>ClientOptions</c> name.</summary>
    public TimeSpan HttpRequestTimeout
    {
        get => RequestTimeout;
        set => RequestTimeout = value;
    }

    /// <summary>The same as <see cref="MaxRetryDuration"/>, under the Ably SDK's <c>ClientOptions</c> name.</summary>
    public TimeSpan HttpMaxRetryDuration
    {
        get => MaxRetryDuration;
        set => MaxRetryDuration = value;
    }

    /// <summary>
    /// The Ably account's package, whose limits the connector paces itself to: 50 messages/s per channel on every
    /// plan; per account 500 / 2,500 / 10,000 messages/s and 50 / 362 / 1,447 requests/s (Free / Standard / Pro);
    /// 64 KiB messages (256 KiB on Pro). Default <see cref="AblyPlan.Standard"/>. The overrides below win over it.
    /// </summary>
    public AblyPlan Plan { get; set; } = AblyPlan.Standard;

    /// <summary>Messages one channel accepts per second, when it differs from the plan's 50. Null: the plan's.</summary>
    public double? ChannelMessagesPerSecond { get; set; }

    /// <summary>Messages the account accepts per second over all channels, when it differs from the plan's. Null: the plan's.</summary>
    public double? AccountMessagesPerSecond { get; set; }

    /// <summary>HTTP requests the account accepts per second, when it differs from the plan's. Null: the plan's.</summary>
    public double? AccountRequestsPerSecond { get; set; }

    /// <summary>
    /// Largest size of a message, and of all messages sent to one channel in one request, by Ably's rule
    /// (name length + data size + length of the JSON of extras). Null (the default): the plan's, 65536 (64 KiB) or
    /// 262144 on Pro; set it only when your Ably account allows another size.
    /// </summary>
    public int? MaxMessageSize { get; set; }

    /// <summary>The limits in force: <see cref="Plan"/>'s presets with the overrides applied.</summary>
    public AblyLimits Limits
    {
        get
        {
            var preset = AblyLimits.Of(Plan);
            return new AblyLimits(
                ChannelMessagesPerSecond ?? preset.ChannelMessagesPerSecond,
                AccountMessagesPerSecond ?? preset.AccountMessagesPerSecond,
                AccountRequestsPerSecond ?? preset.AccountRequestsPerSecond,
                MaxMessageSize ?? preset.MaxMessageSize);
        }
    }

    /// <summary>Largest HTTP request body of a batch publish, in bytes. Default 2 MiB minus 1 KiB.</summary>
    public int MaxRequestBytes { get; set; } = DefaultMaxRequestBytes;

    /// <summary>Most channels in one batch publish request. Default 100 (Ably's limit).</summary>
    public int MaxChannelsPerRequest { get; set; } = 100;

    /// <summary>Most messages sent to one channel in one batch publish request. Default 1000 (Ably's limit).</summary>
    public int MaxMessagesPerChannelSpec { get; set; } = 1000;

    /// <summary>
    /// Checks every option and throws <see cref="AblyConfigurationException"/> naming the first invalid one.
    /// The message never contains the API key secret.
    /// </summary>
    /// <exception cref="AblyConfigurationException">An option is missing or out of range.</exception>
    public void Validate()
    {
        if (!AblyApiKey.TryParse(ApiKey, out _, out var keyProblem))
        {
            throw new AblyConfigurationException(nameof(ApiKey), keyProblem!);
        }

        if (RestHost is not null)
        {
            var hostProblem = CheckHost(RestHost);
            if (hostProblem is not null)
            {
                throw new AblyConfigurationException(nameof(RestHost), "\"" + RestHost + "\" " + hostProblem);
            }
        }

        if (Port is { } port && port is < 1 or > 65535)
        {
            throw new AblyConfigurationException(nameof(Port), port.ToString(CultureInfo.InvariantCulture) + " is out of range: it must be between 1 and 65535 (or unset for 443/80)");
        }

        if (FallbackHosts is not null)
        {
            for (var i = 0; i < FallbackHosts.Count; i++)
            {
                var host = FallbackHosts[i];
                var problem = host is null ? "is null" : CheckHost(host);
                if (problem is not null)
                {
                    throw new AblyConfigurationException(
                        nameof(FallbackHosts),
                        "entry " + i.ToString(CultureInfo.InvariantCulture) + (host is null ? " " : " \"" + host + "\" ") + problem);
                }
            }
        }

        if (RequestTimeout <= TimeSpan.Zero || RequestTimeout == System.Threading.Timeout.InfiniteTimeSpan)
        {
            throw new AblyConfigurationException(nameof(RequestTimeout), RequestTimeout + " is not allowed: it must be a positive, finite duration such as 00:00:10");
        }

        if (RequestTimeout > TimeSpan.FromHours(1))
        {
            throw new AblyConfigurationException(nameof(RequestTimeout), RequestTimeout + " is too long: at most 1 hour is allowed");
        }

        if (MaxRetryDuration < TimeSpan.Zero)
        {
            throw new AblyConfigurationException(nameof(MaxRetryDuration), MaxRetryDuration + " is negative: use zero to disable retries, or a positive duration such as 00:00:15");
        }

        if (MaxRetryDuration > TimeSpan.FromDays(1))
        {
            throw new AblyConfigurationException(nameof(MaxRetryDuration), MaxRetryDuration + " is too long: at most 1 day is allowed");
        }

        if (!Enum.IsDefined(Plan))
        {
            throw new AblyConfigurationException(nameof(Plan), "\"" + Plan + "\" is not a plan: use Free, Standard, Pro or Unlimited");
        }

        RequirePositiveRate(ChannelMessagesPerSecond, nameof(ChannelMessagesPerSecond));
        RequirePositiveRate(AccountMessagesPerSecond, nameof(AccountMessagesPerSecond));
        RequirePositiveRate(AccountRequestsPerSecond, nameof(AccountRequestsPerSecond));
        if (MaxMessageSize is { } maxMessageSize)
        {
            RequirePositive(maxMessageSize, nameof(MaxMessageSize));
        }

        RequirePositive(MaxRequestBytes, nameof(MaxRequestBytes));
        RequirePositive(MaxChannelsPerRequest, nameof(MaxChannelsPerRequest));
        RequirePositive(MaxMessagesPerChannelSpec, nameof(MaxMessagesPerChannelSpec));
        if (MaxRequestBytes < MinimumRequestBytes)
        {
            throw new AblyConfigurationException(
                nameof(MaxRequestBytes),
                MaxRequestBytes.ToString(CultureInfo.InvariantCulture) + " is too small: at least " + MinimumRequestBytes.ToString(CultureInfo.InvariantCulture) + " bytes are needed for one message");
        }
    }

    /// <summary>Smallest accepted <see cref="MaxRequestBytes"/>.</summary>
    internal const int MinimumRequestBytes = 1024;

    /// <summary>Ably's default fallback domains.</summary>
    internal static IReadOnlyList<string> DefaultFallbackHosts => DefaultFallbackHostList;

    /// <summary>The primary host actually used.</summary>
    internal string EffectiveRestHost => string.IsNullOrEmpty(RestHost) ? DefaultRestHost : RestHost;

    /// <summary>The port actually used.</summary>
    internal int EffectivePort => Port ?? (Tls ? 443 : 80);

    /// <summary>The fallback hosts actually used (distinct, primary excluded).</summary>
    internal IReadOnlyList<string> EffectiveFallbackHosts
    {
        get
        {
            IEnumerable<string> source = FallbackHosts ?? (RestHost is null ? DefaultFallbackHostList : Array.Empty<string>());
            var result = new List<string>();
            var primary = EffectiveRestHost;
            foreach (var host in source)
            {
                if (!string.Equals(host, primary, StringComparison.OrdinalIgnoreCase) && !result.Exists(h => string.Equals(h, host, StringComparison.OrdinalIgnoreCase)))
                {
                    result.Add(host);
                }
            }

            return result;
        }
    }

    /// <summary>True for <c>localhost</c>, <c>*.localhost</c> and loopback IP addresses.</summary>
    internal static bool IsLoopbackHost(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var bare = host.Length > 2 && host[0] == '[' && host[^1] == ']' ? host.Substring(1, host.Length - 2) : host;
        return IPAddress.TryParse(bare, out var address) && IPAddress.IsLoopback(address);
    }

    /// <summary>Null when <paramref name="host"/> is a bare host name or IP address, else what is wrong with it.</summary>
    internal static string? CheckHost(string host)
    {
        if (host.Length == 0 || string.IsNullOrWhiteSpace(host))
        {
            return "is empty: give a host name such as main.realtime.ably.net, or leave it unset";
        }

        if (host.Contains("://", StringComparison.Ordinal))
        {
            return "contains a scheme: give the host name only (e.g. \"example.com\", not \"https://example.com\"); use Tls and Port for the scheme and port";
        }

        if (host.IndexOfAny(new[] { '/', '?', '#', '\\' }) >= 0)
        {
            return "contains a path, query or fragment: give the host name only";
        }

        if (host.Contains('@', StringComparison.Ordinal))
        {
            return "contains user information ('@'): give the host name only and put the credentials in ApiKey";
        }

        foreach (var c in host)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return "contains whitespace or control characters";
            }
        }

        if (host[0] == '[')
        {
            return host[^1] == ']' && IPAddress.TryParse(host.AsSpan(1, host.Length - 2), out var v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !host.AsSpan(1, host.Length - 2).Contains(']')
                ? null
                : "is not a valid bracketed IPv6 address (a port must go in the Port option)";
        }

        if (host.Contains(':', StringComparison.Ordinal))
        {
            // Only a bare IPv6 address may contain ':'; "host:port" must use the Port option.
            return IPAddress.TryParse(host, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                ? null
                : "contains a port: give the host name only and use the Port option";
        }

        return Uri.CheckHostName(host) is UriHostNameType.Dns or UriHostNameType.IPv4 ? null : "is not a valid host name";
    }

    private static void RequirePositiveRate(double? value, string name)
    {
        if (value is { } rate && !(rate > 0))
        {
            throw new AblyConfigurationException(name, rate.ToString(CultureInfo.InvariantCulture) + " is not allowed: it must be a positive rate per second, or unset for the plan's");
        }
    }

    private static void RequirePositive(int value, string name)
    {
        if (value <= 0)
        {
            throw new AblyConfigurationException(name, value.ToString(CultureInfo.InvariantCulture) + " is not allowed: it must be positive");
        }
    }
}
