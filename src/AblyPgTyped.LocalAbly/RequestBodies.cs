using System;
using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace AblyPgTyped.LocalAbly;

/// <summary>Content negotiation (JSON only) and bounded, zero-copy JSON body reading.</summary>
internal static class RequestBodies
{
    private const string MsgPackHint =
        "The local Ably server speaks JSON only: set useBinaryProtocol: false in the Ably client options (ably-js defaults to msgpack in Node)";

    /// <summary>
    /// Refuses msgpack bodies and msgpack-only Accept headers with 415. Other content types are parsed as JSON,
    /// because <c>curl --data</c> labels JSON as form data.
    /// </summary>
    public static void EnsureJson(HttpRequest request)
    {
        var contentType = request.ContentType;
        if (!string.IsNullOrEmpty(contentType))
        {
            if (contentType.Contains("msgpack", StringComparison.OrdinalIgnoreCase))
            {
                throw new AblyException(415, AblyErrors.BadRequest, MsgPackHint);
            }
        }

        EnsureJsonAccepted(request);
    }

    /// <summary>Refuses requests whose Accept header allows msgpack but not JSON.</summary>
    public static void EnsureJsonAccepted(HttpRequest request)
    {
        var accept = request.Headers.Accept.ToString();
        if (accept.Contains("msgpack", StringComparison.OrdinalIgnoreCase)
            && !accept.Contains("json", StringComparison.OrdinalIgnoreCase)
            && !accept.Contains("*/*", StringComparison.Ordinal))
        {
            throw new AblyException(415, AblyErrors.BadRequest, MsgPackHint);
        }
    }

    /// <summary>
    /// Reads the whole body (refusing more than <paramref name="maxBytes"/> with <paramref name="tooLargeStatus"/> / 40009),
    /// parses it and hands the root element to <paramref name="parse"/>, which must copy out what it keeps.
    /// </summary>
    public static async Task<T> ReadJsonAsync<T, TState>(HttpContext context, int maxBytes, int tooLargeStatus, TState state, Func<JsonElement, TState, T> parse)
    {
        if (context.Request.ContentLength is { } declared && declared > maxBytes)
        {
            throw TooLarge(declared, maxBytes, tooLargeStatus);
        }

        var reader = context.Request.BodyReader;
        ReadResult result;
        while (true)
        {
            result = await reader.ReadAsync(context.RequestAborted).ConfigureAwait(false);
            if (result.Buffer.Length > maxBytes)
            {
                var seen = result.Buffer.Length;
                reader.AdvanceTo(result.Buffer.End);
                throw TooLarge(seen, maxBytes, tooLargeStatus);
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                break;
            }

            // Consume nothing yet: keep buffering until the whole body is here.
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }

        var body = result.Buffer;
        try
        {
            if (body.IsEmpty)
            {
                throw new AblyException(400, AblyErrors.InvalidBody, "Request body is empty: expected JSON");
            }

            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 128 });
            return parse(document.RootElement, state);
        }
        catch (JsonException ex)
        {
            throw new AblyException(400, AblyErrors.InvalidBody, "Invalid JSON body: " + ex.Message);
        }
        finally
        {
            reader.AdvanceTo(body.End);
        }
    }

    private static AblyException TooLarge(long size, int maxBytes, int status) =>
        new(status, AblyErrors.MessageTooLarge, "Request body too large: at least " + size.ToString(CultureInfo.InvariantCulture) + " bytes, limit " + maxBytes.ToString(CultureInfo.InvariantCulture) + " bytes");
}
