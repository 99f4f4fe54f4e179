using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AblyPgTyped.Publishing;

/// <summary>
/// Publishes channel batches through Ably's REST batch publish (<c>POST /messages</c>), one BatchSpec per channel so that
/// every message id is its own idempotency key. Handles request splitting, retries with exponential backoff and full
/// jitter within <see cref="AblyOptions.MaxRetryDuration"/>, fallback hosts (sticky for 10 minutes), <c>Retry-After</c>,
/// per-channel results and isolation of rejected messages. Thread-safe; one instance per process is enough.
/// </summary>
internal sealed class AblyRestPublisher : IDisposable
{
    /// <summary>Most batch publish requests in flight at once (per call).</summary>
    internal const int MaxConcurrentRequests = 6;

    /// <summary>Most fallback hosts tried per request (Ably's <c>httpMaxRetryCount</c>).</summary>
    internal const int MaxFallbackHostsPerRequest = 3;

    /// <summary>Sent as <c>X-Ably-Version</c>: protocol 3 and later answer batch publishes with BatchResult objects.</summary>
    internal const string ProtocolVersion = "5";

    /// <summary>Largest backoff ceiling of one publish call's retries (<see cref="RetryPolicy"/>).</summary>
    internal static readonly TimeSpan BackoffCap = TimeSpan.FromSeconds(2);

    /// <summary>How long a fallback host that answered stays preferred (Ably's <c>fallbackRetryTimeout</c>).</summary>
    internal static readonly TimeSpan FallbackRetryTimeout = TimeSpan.FromMinutes(10);

    /// <summary>The longest <c>Retry-After</c> honoured.</summary>
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromHours(1);

    private readonly HttpClient _http;
    private readonly AblyApiKey _key;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _primaryHost;
    private readonly string[] _fallbackHosts;
    private readonly Dictionary<string, Uri> _messagesUris;
    private StickyHost? _sticky;
    private int _disposed;
    private int _switchLogged;

    /// <summary>Creates a publisher; validates <paramref name="options"/> and copies them (later changes have no effect).</summary>
    /// <param name="options">Connection settings.</param>
    /// <param name="logger">Optional logger.</param>
    /// <param name="handler">Optional HTTP handler (not disposed by the publisher); by default a pooled <see cref="SocketsHttpHandler"/>.</param>
    /// <param name="time">Optional clock (tests).</param>
    /// <exception cref="AblyConfigurationException">An option is invalid.</exception>
    public AblyRestPublisher(AblyOptions options, ILogger? logger = null, HttpMessageHandler? handler = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _key = AblyApiKey.Parse(options.ApiKey);
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        RequestTimeout = options.RequestTimeout;
        MaxRetryDuration = options.MaxRetryDuration;
        MaxMessageSize = options.Limits.MaxMessageSize;
        MaxRequestBytes = options.MaxRequestBytes;
        MaxChannelsPerRequest = options.MaxChannelsPerRequest;
        MaxMessagesPerChannelSpec = options.MaxMessagesPerChannelSpec;

        _primaryHost = options.EffectiveRestHost;
        var fallbacks = new List<string>(options.EffectiveFallbackHosts);
        _fallbackHosts = fallbacks.ToArray();
        var scheme = options.Tls ? Uri.UriSchemeHttps : Uri.UriSchemeHttp;
        var port = options.EffectivePort;
        _messagesUris = new Dictionary<string, Uri>(StringComparer.OrdinalIgnoreCase);
        foreach (var host in HostsOf(_primaryHost, _fallbackHosts))
        {
            _messagesUris[host] = BuildMessagesUri(scheme, host, port);
        }

        _http = handler is null
            ? new HttpClient(CreateDefaultHandler(options), disposeHandler: true)
            : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = Timeout.InfiniteTimeSpan; // per-attempt timeouts are enforced by the publisher
        _http.DefaultRequestVersion = HttpVersion.Version11; // as Ably's SDKs: one pooled connection per request in flight
        _http.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
        var headers = _http.DefaultRequestHeaders;
        headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        headers.TryAddWithoutValidation("X-Ably-Version", ProtocolVersion);
        headers.TryAddWithoutValidation("Ably-Agent", AgentHeaderValue);
        headers.Authorization = new AuthenticationHeaderValue("Basic", _key.BasicAuthorizationParameter);

        LogMessages.PublisherCreated(_logger, _key.KeyName, scheme, _primaryHost, port, _fallbackHosts.Length);
        if (!options.Tls)
        {
            foreach (var host in HostsOf(_primaryHost, _fallbackHosts))
            {
                if (!AblyOptions.IsLoopbackHost(host))
                {
                    LogMessages.InsecureTransport(_logger, _key.KeyName, host);
                    break; // once
                }
            }
        }
    }

    /// <summary>The <c>Ably-Agent</c> header: <c>ablypgtyped/&lt;version&gt; dotnet/&lt;runtime version&gt;</c>.</summary>
    internal static string AgentHeaderValue { get; } = BuildAgent();

    internal TimeSpan RequestTimeout { get; }

    internal TimeSpan MaxRetryDuration { get; }

    internal int MaxMessageSize { get; }

    internal int MaxRequestBytes { get; }

    internal int MaxChannelsPerRequest { get; }

    internal int MaxMessagesPerChannelSpec { get; }

    internal ILogger Logger => _logger;

    internal TimeProvider Time => _time;

    internal AblyApiKey Key => _key;

    /// <summary>The primary host.</summary>
    internal string PrimaryHost => _primaryHost;

    /// <summary>The fallback host currently preferred, if any.</summary>
    internal string? StickyFallbackHost
    {
        get
        {
            var sticky = Volatile.Read(ref _sticky);
            return sticky is not null && _time.GetTimestamp() < sticky.UntilTimestamp ? sticky.Host : null;
        }
    }

    /// <summary>
    /// Publishes every batch. The caller passes at most one batch per channel and awaits the call, so at most one request
    /// per channel is ever in flight; messages of a batch reach Ably in list order. Transient failures are retried within
    /// <see cref="AblyOptions.MaxRetryDuration"/>; what is left is reported as <see cref="PublishStatus.RetryLater"/>.
    /// </summary>
    /// <returns>One result per batch, in the order of <paramref name="batches"/>.</returns>
    /// <exception cref="ArgumentException">A channel appears twice, or a batch or channel name is null/empty.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled (in-flight requests are aborted).</exception>
    public async Task<IReadOnlyList<ChannelPublishResult>> PublishAsync(IReadOnlyList<ChannelBatch> batches, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ct.ThrowIfCancellationRequested();
        if (batches.Count == 0)
        {
            return Array.Empty<ChannelPublishResult>();
        }

        using var operation = new PublishOperation(this, batches);
        return await operation.RunAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Releases the HTTP client (and the default handler).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _http.Dispose();
        }
    }

    /// <summary>
    /// Sends one batch publish body, retrying network errors, timeouts and 5xx (moving to fallback hosts) and 429 (same
    /// host, after <c>Retry-After</c>) while <paramref name="operation"/>'s retry budget allows. The same body, hence the
    /// same message ids, is sent every time.
    /// </summary>
    internal async Task<RequestOutcome> SendBatchAsync(BatchRequest request, PublishOperation operation, CancellationToken ct)
    {
        var hosts = PlanHosts();
        var hostIndex = 0;
        var attempt = 0;
        while (true)
        {
            var host = hosts[hostIndex];
            var result = await AttemptAsync(host, request.Body, request.Specs.Count, request.MessageCount, ct).ConfigureAwait(false);
            if (result.Kind is not (AttemptKind.Retry or AttemptKind.RetryElsewhere))
            {
                return Outcome(result);
            }

            var error = result.Error!;
            var nextIndex = result.Kind == AttemptKind.RetryElsewhere && hosts.Length > 1 ? (hostIndex + 1) % hosts.Length : hostIndex;
            var delay = Backoff(attempt);
            if (nextIndex == hostIndex && result.RetryAfter is { } retryAfter && retryAfter > delay)
            {
                delay = retryAfter; // honour Retry-After on the same host (a "0" still gets the backoff)
            }

            if (!operation.CanRetryAfter(delay))
            {
                return RequestOutcome.GiveUp(error, result.RetryAfter, haltAll: true, budgetExhausted: true);
            }

            if (AblyErrorRules.IsRateLimit(error))
            {
                LogMessages.PublisherRateLimited(_logger, "batch request to " + host, error, LogMessages.Ms(delay));
            }
            else if (nextIndex != hostIndex)
            {
                LogMessages.FallbackSwitch(_logger, host, hosts[nextIndex], error);
            }
            else
            {
                LogMessages.RequestRetry(_logger, host, request.Specs.Count, request.MessageCount, error, attempt + 1, LogMessages.Ms(delay));
            }

            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, _time, ct).ConfigureAwait(false);
            }

            attempt++;
            hostIndex = nextIndex;
        }
    }

    /// <summary>
    /// Sends one batch publish body once. A host that is unreachable, times out or answers 500–504 hands over to the
    /// next fallback host at once; nothing is repeated on the same host and nothing waits: what happens next is the
    /// caller's <see cref="RetryPolicy"/>. <c>beforeAnotherHost</c> runs before each attempt on another host, which may
    /// start up to <see cref="AblyOptions.RequestTimeout"/> after the first: it is the leader fence's check, so that a
    /// connector deposed meanwhile sends nothing more, and it throws to stop.
    /// </summary>
    internal async Task<RequestOutcome> SendOnceAsync(
        ReadOnlyMemory<byte> body, int specCount, int messageCount, Func<CancellationToken, Task> beforeAnotherHost, CancellationToken ct)
    {
        var hosts = PlanHosts();
        Attempt result = default;
        for (var i = 0; i < hosts.Length; i++)
        {
            if (i > 0)
            {
                await beforeAnotherHost(ct).ConfigureAwait(false);
            }

            result = await AttemptAsync(hosts[i], body, specCount, messageCount, ct).ConfigureAwait(false);
            if (result.Kind != AttemptKind.RetryElsewhere || i + 1 == hosts.Length)
            {
                break;
            }

            // Every request of an outage switches: one line for the outage, until a host answers again.
            if (Interlocked.Exchange(ref _switchLogged, 1) == 0)
            {
                LogMessages.FallbackSwitch(_logger, hosts[i], hosts[i + 1], result.Error!);
            }
        }

        return Outcome(result);
    }

    /// <summary>The final outcome of a request whose last attempt ended as <paramref name="result"/>.</summary>
    private static RequestOutcome Outcome(Attempt result) => result.Kind switch
    {
        AttemptKind.Success => RequestOutcome.Completed(result.Channels),
        AttemptKind.BadRequest => RequestOutcome.BadRequest(result.Error!),
        AttemptKind.Unauthorized => RequestOutcome.Unauthorized(result.Error!),
        _ => RequestOutcome.GiveUp(result.Error!, result.RetryAfter, haltAll: true, budgetExhausted: false),
    };

    /// <summary>
    /// One attempt on one host, with the host bookkeeping every attempt needs: a fallback host that answered becomes
    /// sticky, one that failed stops being so, and an unexpected answer is logged.
    /// </summary>
    private async Task<Attempt> AttemptAsync(string host, ReadOnlyMemory<byte> body, int specCount, int messageCount, CancellationToken ct)
    {
        var started = _time.GetTimestamp();
        var result = await SendToHostAsync(host, body, ct).ConfigureAwait(false);
        switch (result.Kind)
        {
            case AttemptKind.Success:
                Volatile.Write(ref _switchLogged, 0);
                if (!string.Equals(host, _primaryHost, StringComparison.OrdinalIgnoreCase))
                {
                    MarkSticky(host);
                }

                if (_logger.IsEnabled(LogLevel.Trace))
                {
                    LogMessages.BatchPublished(_logger, host, specCount, messageCount, body.Length, _time.GetElapsedTime(started).TotalMilliseconds);
                }

                break;
            case AttemptKind.RetryElsewhere:
                ClearStickyIf(host);
                break;
            case AttemptKind.Unexpected:
                LogMessages.UnexpectedResponse(_logger, host, result.Error!, specCount);
                break;
        }

        return result;
    }

    /// <summary>The retry policy's backoff, without a floor: a publish call's own retries stay within its budget.</summary>
    internal static TimeSpan Backoff(int attempt) => RetryPolicy.Delay(attempt, BackoffCap, floor: TimeSpan.Zero);

    private async Task<Attempt> SendToHostAsync(string host, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        using var message = new HttpRequestMessage(HttpMethod.Post, _messagesUris[host]);
        var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        message.Content = content;
        try
        {
            using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            var answer = await response.Content.ReadAsByteArrayAsync(linked.Token).ConfigureAwait(false);
            return Classify(response, answer);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new Attempt(AttemptKind.RetryElsewhere, new AblyErrorInfo(
                50003,
                500,
                "Timeout: no complete response from " + host + " within " + LogMessages.Ms(RequestTimeout).ToString(CultureInfo.InvariantCulture) + " ms (AblyOptions.RequestTimeout)"));
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return new Attempt(AttemptKind.RetryElsewhere, new AblyErrorInfo(80000, 500, _key.Redact("Could not reach " + host + ": " + Describe(ex))));
        }
    }

    private Attempt Classify(HttpResponseMessage response, byte[] body)
    {
        var status = (int)response.StatusCode;
        if (status is >= 200 and < 300)
        {
            if (body.Length == 0)
            {
                return new Attempt(AttemptKind.Success, null, null, null); // no per-channel details: everything accepted
            }

            if (AblyResponses.TryParseBatchResults(body, _key, out var results))
            {
                return new Attempt(AttemptKind.Success, null, null, results);
            }

            // Accepted or not, we cannot tell: resending is safe (same ids).
            return new Attempt(AttemptKind.Retry, new AblyErrorInfo(50000, status, "Unrecognised batch publish response (HTTP " + status.ToString(CultureInfo.InvariantCulture) + ")"));
        }

        var error = AblyResponses.ErrorFromResponse(status, response.ReasonPhrase, body, response.Headers, _key);
        var retryAfter = RetryAfterOf(response);

        // Legacy batch response: partial failure reported as 400/40020 with per-channel results.
        if (status == 400 && error.Code == 40020 && AblyResponses.TryParseBatchResults(body, _key, out var legacy))
        {
            return new Attempt(AttemptKind.Success, null, null, legacy);
        }

        if (status >= 400 && IsCloudFront(response))
        {
            return new Attempt(AttemptKind.RetryElsewhere, error, retryAfter);
        }

        return status switch
        {
            400 or 413 or 422 => new Attempt(AttemptKind.BadRequest, error),
            401 or 403 => new Attempt(AttemptKind.Unauthorized, error),
            429 or 408 => new Attempt(AttemptKind.Retry, error, retryAfter),
            >= 500 and <= 504 => new Attempt(AttemptKind.RetryElsewhere, error, retryAfter),
            >= 505 => new Attempt(AttemptKind.Retry, error, retryAfter),
            _ => new Attempt(AttemptKind.Unexpected, error),
        };
    }

    private TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var value = header?.Delta ?? (header?.Date is { } date ? date - _time.GetUtcNow() : null);
        if (value is not { } delay)
        {
            return null;
        }

        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay > MaxRetryAfter ? MaxRetryAfter : delay;
    }

    private static bool IsCloudFront(HttpResponseMessage response)
    {
        foreach (var product in response.Headers.Server)
        {
            if (product.Product?.Name.Contains("CloudFront", StringComparison.OrdinalIgnoreCase) == true)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Hosts for one request: the sticky fallback (if still valid) or the primary first, then up to 3 fallbacks in random order.</summary>
    private string[] PlanHosts()
    {
        if (_fallbackHosts.Length == 0)
        {
            return new[] { _primaryHost };
        }

        var sticky = Volatile.Read(ref _sticky);
        if (sticky is not null && _time.GetTimestamp() >= sticky.UntilTimestamp)
        {
            if (Interlocked.CompareExchange(ref _sticky, null, sticky) == sticky)
            {
                LogMessages.FallbackExpired(_logger, sticky.Host, _primaryHost);
            }

            sticky = null;
        }

        var shuffled = (string[])_fallbackHosts.Clone();
        Random.Shared.Shuffle(shuffled);
        var plan = new List<string>(MaxFallbackHostsPerRequest + 2);
        if (sticky is not null)
        {
            plan.Add(sticky.Host);
        }

        plan.Add(_primaryHost);
        var fallbacks = 0;
        foreach (var host in shuffled)
        {
            if (fallbacks == MaxFallbackHostsPerRequest)
            {
                break;
            }

            if (sticky is null || !string.Equals(host, sticky.Host, StringComparison.OrdinalIgnoreCase))
            {
                plan.Add(host);
                fallbacks++;
            }
        }

        return plan.ToArray();
    }

    private void MarkSticky(string host)
    {
        var current = Volatile.Read(ref _sticky);
        var until = _time.GetTimestamp() + (long)(FallbackRetryTimeout.TotalSeconds * _time.TimestampFrequency);
        if (current is not null && string.Equals(current.Host, host, StringComparison.OrdinalIgnoreCase) && _time.GetTimestamp() < current.UntilTimestamp)
        {
            return; // keep the original expiry: Ably returns to the primary 10 minutes after the switch
        }

        Volatile.Write(ref _sticky, new StickyHost(host, until));
        LogMessages.FallbackSticky(_logger, host, FallbackRetryTimeout.TotalMinutes);
    }

    private void ClearStickyIf(string host)
    {
        var current = Volatile.Read(ref _sticky);
        if (current is not null && string.Equals(current.Host, host, StringComparison.OrdinalIgnoreCase))
        {
            Interlocked.CompareExchange(ref _sticky, null, current);
        }
    }

    private static SocketsHttpHandler CreateDefaultHandler(AblyOptions options) => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5), // pick up DNS changes of Ably's edge
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
        ConnectTimeout = options.RequestTimeout < TimeSpan.FromSeconds(4) ? options.RequestTimeout : TimeSpan.FromSeconds(4), // Ably's httpOpenTimeout
        AutomaticDecompression = DecompressionMethods.All,
        AllowAutoRedirect = false,
        UseCookies = false,
        MaxConnectionsPerServer = MaxConcurrentRequests * 2,
    };

    private static IEnumerable<string> HostsOf(string primary, string[] fallbacks)
    {
        yield return primary;
        foreach (var host in fallbacks)
        {
            yield return host;
        }
    }

    private static Uri BuildMessagesUri(string scheme, string host, int port)
    {
        var authorityHost = host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? "[" + host + "]" : host;
        return new UriBuilder(scheme, authorityHost, port, "/messages").Uri;
    }

    private static string BuildAgent()
    {
        var version = typeof(AblyRestPublisher).Assembly.GetName().Version;
        var ours = version is null ? "0.0.0" : version.Major + "." + version.Minor + "." + Math.Max(0, version.Build);
        var runtime = Environment.Version;
        return "ablypgtyped/" + ours + " dotnet/" + runtime.Major + "." + runtime.Minor + "." + Math.Max(0, runtime.Build);
    }

    private static string Describe(Exception ex)
    {
        var text = ex.Message;
        if (ex.InnerException is { } inner && !string.IsNullOrEmpty(inner.Message) && !text.Contains(inner.Message, StringComparison.Ordinal))
        {
            text += " (" + inner.Message + ")";
        }

        return text;
    }

    private sealed record StickyHost(string Host, long UntilTimestamp);

    private enum AttemptKind
    {
        Success,
        BadRequest,
        Unauthorized,
        Retry,
        RetryElsewhere,
        Unexpected,
    }

    private readonly record struct Attempt(AttemptKind Kind, AblyErrorInfo? Error, TimeSpan? RetryAfter = null, Dictionary<string, AblyErrorInfo?>? Channels = null);
}

/// <summary>What became of one batch publish request after its retries.</summary>
internal sealed class RequestOutcome
{
    private RequestOutcome(RequestOutcomeKind kind, AblyErrorInfo? error, TimeSpan? retryAfter, bool haltAll, Dictionary<string, AblyErrorInfo?>? channels, bool budgetExhausted = false)
    {
        BudgetExhausted = budgetExhausted;
        Kind = kind;
        Error = error;
        RetryAfter = retryAfter;
        HaltAll = haltAll;
        Channels = channels;
    }

    public RequestOutcomeKind Kind { get; }

    public AblyErrorInfo? Error { get; }

    public TimeSpan? RetryAfter { get; }

    /// <summary>The failure concerns the endpoint or the key, not these channels: stop sending anything else in this call.</summary>
    public bool HaltAll { get; }

    /// <summary>The request failed transiently and the retry budget does not cover another attempt.</summary>
    public bool BudgetExhausted { get; }

    /// <summary>For <see cref="RequestOutcomeKind.Completed"/>: channel → error (null = accepted); null when the server gave no details (all accepted).</summary>
    public Dictionary<string, AblyErrorInfo?>? Channels { get; }

    public static RequestOutcome Completed(Dictionary<string, AblyErrorInfo?>? channels) => new(RequestOutcomeKind.Completed, null, null, false, channels);

    public static RequestOutcome BadRequest(AblyErrorInfo error) => new(RequestOutcomeKind.BadRequest, error, null, false, null);

    public static RequestOutcome Unauthorized(AblyErrorInfo error) => new(RequestOutcomeKind.Unauthorized, error, null, true, null);

    public static RequestOutcome GiveUp(AblyErrorInfo error, TimeSpan? retryAfter, bool haltAll, bool budgetExhausted) => new(RequestOutcomeKind.GiveUp, error, retryAfter, haltAll, null, budgetExhausted);
}

/// <summary>Kinds of <see cref="RequestOutcome"/>.</summary>
internal enum RequestOutcomeKind
{
    /// <summary>2xx: per-channel results available.</summary>
    Completed,

    /// <summary>Request-level 400/413: something in the body was refused as a whole.</summary>
    BadRequest,

    /// <summary>Request-level 401/403.</summary>
    Unauthorized,

    /// <summary>Retry budget used up, or an answer that is neither success nor rejection.</summary>
    GiveUp,
}
