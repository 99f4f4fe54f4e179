using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace AblyPgTyped.Publishing;

/// <summary>Reads Ably REST responses: batch publish results (protocol ≥ 3 and legacy shapes) and error bodies.</summary>
internal static class AblyResponses
{
    /// <summary>
    /// Parses a batch publish response into channel → error (null = accepted). Accepts the protocol ≥ 3 shape
    /// (an array of <c>{successCount, failureCount, results:[{channel, messageId, serials} | {channel, error}]}</c>),
    /// a single BatchResult object, the legacy flat array <c>[{channel, messageId} | {channel, error}]</c> and the legacy
    /// partial-failure body <c>{"error":{…40020…}, "batchResponse":[…]}</c>. False when the body is none of these.
    /// </summary>
    public static bool TryParseBatchResults(ReadOnlyMemory<byte> body, AblyApiKey? key, out Dictionary<string, AblyErrorInfo?> results)
    {
        results = new Dictionary<string, AblyErrorInfo?>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in root.EnumerateArray())
                {
                    if (!ReadEntryOrBatchResult(item, key, results))
                    {
                        return false;
                    }
                }

                return true;
            }

            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("batchResponse"u8, out var legacy) && legacy.ValueKind == JsonValueKind.Array)
                {
                    foreach (var item in legacy.EnumerateArray())
                    {
                        if (!ReadEntryOrBatchResult(item, key, results))
                        {
                            return false;
                        }
                    }

                    return true;
                }

                return ReadEntryOrBatchResult(root, key, results);
            }

            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// The error of a failed response: from the JSON body <c>{"error":{code,statusCode,message}}</c> when present,
    /// else from the <c>X-Ably-ErrorCode</c> / <c>X-Ably-ErrorMessage</c> headers, else from the status alone.
    /// </summary>
    public static AblyErrorInfo ErrorFromResponse(int status, string? reason, ReadOnlyMemory<byte> body, HttpResponseHeaders headers, AblyApiKey? key)
    {
        if (!body.IsEmpty)
        {
            try
            {
                using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
                if (document.RootElement.ValueKind == JsonValueKind.Object
                    && document.RootElement.TryGetProperty("error"u8, out var error)
                    && error.ValueKind == JsonValueKind.Object)
                {
                    return ReadErrorInfo(error, status, key);
                }
            }
            catch (JsonException)
            {
                // Not JSON (e.g. an HTML page from a proxy): fall through to the headers.
            }
        }

        int? headerCode = null;
        if (headers.TryGetValues("X-Ably-ErrorCode", out var codes))
        {
            foreach (var value in codes)
            {
                if (int.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed))
                {
                    headerCode = parsed;
                    break;
                }
            }
        }

        string? headerMessage = null;
        if (headers.TryGetValues("X-Ably-ErrorMessage", out var messages))
        {
            headerMessage = string.Join(" ", messages);
        }

        if (headerCode is not null || !string.IsNullOrEmpty(headerMessage))
        {
            var code = headerCode ?? status * 100;
            return new AblyErrorInfo(code, status, Redact(key, headerMessage ?? DefaultMessage(status, reason)));
        }

        return new AblyErrorInfo(status * 100, status, Redact(key, DefaultMessage(status, reason)));
    }

    /// <summary>Reads an ErrorInfo object, filling a missing code or status from the other.</summary>
    public static AblyErrorInfo ReadErrorInfo(JsonElement error, int fallbackStatus, AblyApiKey? key)
    {
        var code = ReadInt(error, "code"u8);
        var statusCode = ReadInt(error, "statusCode"u8);
        var message = error.TryGetProperty("message"u8, out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        var status = statusCode ?? (code is >= 10000 and < 60000 ? code.Value / 100 : fallbackStatus);
        var finalCode = code ?? status * 100;
        return new AblyErrorInfo(finalCode, status, Redact(key, string.IsNullOrEmpty(message) ? DefaultMessage(status, null) : message));
    }

    private static bool ReadEntryOrBatchResult(JsonElement item, AblyApiKey? key, Dictionary<string, AblyErrorInfo?> results)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        if (item.TryGetProperty("results"u8, out var inner))
        {
            if (inner.ValueKind != JsonValueKind.Array)
            {
                return false;
            }

            foreach (var entry in inner.EnumerateArray())
            {
                if (!ReadEntry(entry, key, results))
                {
                    return false;
                }
            }

            return true;
        }

        return ReadEntry(item, key, results);
    }

    private static bool ReadEntry(JsonElement entry, AblyApiKey? key, Dictionary<string, AblyErrorInfo?> results)
    {
        if (entry.ValueKind != JsonValueKind.Object
            || !entry.TryGetProperty("channel"u8, out var channel)
            || channel.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        var error = entry.TryGetProperty("error"u8, out var e) && e.ValueKind == JsonValueKind.Object
            ? ReadErrorInfo(e, 500, key)
            : null;
        var name = channel.GetString()!;

        // A channel listed twice keeps its worst outcome.
        if (!results.TryGetValue(name, out var existing) || existing is null)
        {
            results[name] = error;
        }

        return true;
    }

    private static int? ReadInt(JsonElement element, ReadOnlySpan<byte> name)
    {
        if (!element.TryGetProperty(name, out var value))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number))
        {
            return number;
        }

        return value.ValueKind == JsonValueKind.String && int.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
    }

    private static string DefaultMessage(int status, string? reason) =>
        "HTTP " + status.ToString(CultureInfo.InvariantCulture) + (string.IsNullOrEmpty(reason) ? string.Empty : " " + reason) + " (no Ably error details in the response)";

    private static string Redact(AblyApiKey? key, string text) => key is null ? text : key.Redact(text);
}

/// <summary>How Ably error codes and HTTP statuses are treated.</summary>
internal static class AblyErrorRules
{
    /// <summary>Error 40009: message too large.</summary>
    public const int MessageTooLarge = 40009;

    /// <summary>
    /// A per-channel error worth retrying: server-side errors (50000–50499, or any 5xx status) and non-fatal rate limits
    /// (42910–42914, 42917, 42918, 42922, or any other 429 except the fatal realtime ones).
    /// </summary>
    public static bool IsRetryable(AblyErrorInfo error) =>
        error.Code is >= 50000 and < 50500
        || error.StatusCode >= 500
        || IsRateLimit(error);

    /// <summary>Non-fatal rate limits.</summary>
    public static bool IsRateLimit(AblyErrorInfo error) =>
        error.Code is (>= 42910 and <= 42914) or 42917 or 42918 or 42922
        || (error.StatusCode == 429 && error.Code is not (42920 or 42921 or 42924));

    /// <summary>
    /// A per-channel error meaning the credentials themselves were refused (not a per-channel capability problem):
    /// 40101–40103 and the token errors 40140–40149.
    /// </summary>
    public static bool IsCredentialError(AblyErrorInfo error) =>
        error.Code is (>= 40101 and <= 40103) or (>= 40140 and <= 40149);

    /// <summary>
    /// A per-channel rejection that concerns the channel rather than a particular message (bad name, capability, TLS
    /// required): splitting the spec to find a guilty message is pointless.
    /// </summary>
    public static bool IsChannelWide(AblyErrorInfo error) =>
        error.Code is 40010 or 40160 or 40311 or 40300 || error.StatusCode is 401 or 403;
}
