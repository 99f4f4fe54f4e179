using System.Globalization;
using System.Net.Http;
using System.Text.Json;

namespace AblyPgTyped;

/// <summary>An error as Ably reports it: in a response body <c>{"error":{…}}</c>, its headers, or an SSE <c>error</c> event.</summary>
internal sealed record AblyError(int Code, int StatusCode, string Message)
{
    /// <summary>Whether a new connection may succeed: a token that expired (renewable), throttling, or a server-side failure.</summary>
    public bool IsTransient(bool canRenewToken) =>
        StatusCode is 408 or 429 or >= 500 || (canRenewToken && Code is >= 40140 and < 40150);

    /// <summary>Reads the error of a failed response, from its JSON body or else its <c>X-Ably-Error*</c> headers.</summary>
    public static AblyError FromResponse(HttpResponseMessage response, string body)
    {
        var status = (int)response.StatusCode;
        if (TryParse(body, status, out var error))
        {
            return error;
        }

        var code = response.Headers.TryGetValues("X-Ably-ErrorCode", out var codes)
            && int.TryParse(string.Join("", codes), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : status * 100;
        var message = response.Headers.TryGetValues("X-Ably-ErrorMessage", out var messages) ? string.Join(" ", messages) : response.ReasonPhrase ?? "no reason given";
        return new AblyError(code, status, message);
    }

    /// <summary>Reads <c>{"error":{…}}</c> or a bare ErrorInfo <c>{"code","statusCode","message"}</c>.</summary>
    public static bool TryParse(string json, int defaultStatus, out AblyError error)
    {
        error = null!;
        try
        {
            using var document = JsonDocument.Parse(json);
            var info = document.RootElement;
            if (info.ValueKind == JsonValueKind.Object && info.TryGetProperty("error", out var inner) && inner.ValueKind == JsonValueKind.Object)
            {
                info = inner;
            }

            if (info.ValueKind != JsonValueKind.Object || !info.TryGetProperty("code", out var code) || !code.TryGetInt32(out var value))
            {
                return false;
            }

            var status = info.TryGetProperty("statusCode", out var s) && s.TryGetInt32(out var st) ? st : defaultStatus;
            var message = info.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "no message";
            error = new AblyError(value, status, message);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public override string ToString() => $"{Message} (error {Code}, HTTP {StatusCode})";
}
