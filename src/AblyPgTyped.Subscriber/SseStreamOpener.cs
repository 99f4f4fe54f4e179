using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped;

/// <summary>
/// Opens Ably's <c>GET /sse</c> for a set of channels, from an event id when resuming (<c>lastEvent</c>), with the
/// credentials in the <c>Authorization</c> header (never in the URL, which proxies and logs keep). Failures come out as
/// <see cref="ChangeSubscriptionException"/>, marked transient when a new attempt may succeed.
/// </summary>
internal sealed class SseStreamOpener(HttpClient http, ChangeSubscriberOptions options, IReadOnlyList<string> channels)
{
    /// <summary>The SSE protocol version Ably's documentation gives.</summary>
    private const string ProtocolVersion = "1.2";

    private static readonly string Agent = "ablypgtyped-subscriber/" +
        (typeof(SseStreamOpener).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0");

    private readonly string _channelQuery = ChannelQuery(channels);

    /// <summary>Where the stream is, for messages: host and port, never credentials.</summary>
    public string Describe() => $"{options.BaseAddress.Host}:{options.BaseAddress.Port}";

    /// <summary>Opens the stream, resuming after <paramref name="lastEventId"/> when given.</summary>
    public async Task<(HttpResponseMessage Response, SseEventReader Events)> OpenAsync(string? lastEventId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(options.BaseAddress, "sse?" + _channelQuery + (lastEventId is null ? "" : "&lastEvent=" + Uri.EscapeDataString(lastEventId))));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        request.Headers.TryAddWithoutValidation("Ably-Agent", Agent);
        request.Headers.Authorization = await AuthorizationAsync(cancellationToken).ConfigureAwait(false);

        using var opening = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        opening.CancelAfter(options.RealtimeRequestTimeout);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, opening.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var why = e is OperationCanceledException ? $"no answer within {options.RealtimeRequestTimeout.TotalSeconds:0.#} s" : e.Message;
            throw new ChangeSubscriptionException(Redact($"Could not open the Ably stream at {Describe()}: {why}"), e) { IsTransient = true };
        }

        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                throw Refused(AblyError.FromResponse(response, body));
            }
        }

        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return (response, new SseEventReader(stream, options.IdleTimeout));
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>An error Ably reported, before the stream opened or as an <c>error</c> event in it.</summary>
    public ChangeSubscriptionException Refused(AblyError error)
    {
        var hint = error.Code switch
        {
            >= 40140 and < 40150 => options.AuthCallback is null ? " The token expired or was revoked: set ChangeSubscriberOptions.AuthCallback to renew it." : "",
            40160 => " The key or token lacks the subscribe capability on these channels.",
            >= 40100 and < 40200 when options.AuthCallback is null && options.Token is null && options.Key is { } key =>
                $" Check ChangeSubscriberOptions.Key (key name \"{SubscriberKey.Name(key)}\").",
            >= 40100 and < 40200 => " Check the token ChangeSubscriberOptions gives.",
            _ => "",
        };
        var message = $"Ably refused the subscription to {string.Join(", ", channels)} at {Describe()}: {error}.{hint}";
        return new ChangeSubscriptionException(Redact(message), error.Code, error.StatusCode)
        {
            IsTransient = error.IsTransient(options.AuthCallback is not null),
        };
    }

    private async Task<AuthenticationHeaderValue> AuthorizationAsync(CancellationToken cancellationToken)
    {
        if (options.AuthCallback is { } callback)
        {
            return Bearer(await callback(cancellationToken).ConfigureAwait(false));
        }

        return options.Token is { } token ? Bearer(token) : new AuthenticationHeaderValue("Basic", SubscriberKey.BasicParameter(options.Key!));
    }

    /// <summary>A JWT goes as it is; an Ably token base64-encoded, as Ably's REST documentation asks.</summary>
    private static AuthenticationHeaderValue Bearer(string token) =>
        new("Bearer", token.Split('.').Length == 3 ? token : Convert.ToBase64String(Encoding.UTF8.GetBytes(token)));

    private string Redact(string message) => SubscriberKey.Redact(message, options.Key);

    /// <summary>
    /// <c>channels=a,b&amp;v=1.2</c>; names holding a comma are joined by another separator, which <c>separator</c> names.
    /// </summary>
    private static string ChannelQuery(IReadOnlyList<string> channels)
    {
        foreach (var separator in new[] { ",", "|", ";", "\t", "\u001f" })
        {
            var clash = false;
            foreach (var channel in channels)
            {
                clash |= channel.Contains(separator, StringComparison.Ordinal);
            }

            if (!clash)
            {
                var query = "channels=" + Uri.EscapeDataString(string.Join(separator, channels)) + "&v=" + ProtocolVersion;
                return separator == "," ? query : query + "&separator=" + Uri.EscapeDataString(separator);
            }
        }

        throw new ArgumentException("The channel names use every separator the subscriber could join them with.", nameof(channels));
    }
}
