using System;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace AblyPgTyped.LocalAbly;

/// <summary>An Ably-style error (code, HTTP status, message) raised while handling a request.</summary>
internal sealed class AblyException : Exception
{
    public AblyException(int statusCode, int code, string message, TimeSpan? retryAfter = null)
        : base(message)
    {
        StatusCode = statusCode;
        Code = code;
        RetryAfter = retryAfter;
    }

    public int StatusCode { get; }

    public int Code { get; }

    public TimeSpan? RetryAfter { get; }
}

/// <summary>Ably error codes used by the server, and the one way errors are written to the wire.</summary>
internal static class AblyErrors
{
    // ably-js (Node) parses an error body only for this exact content type; "; charset=utf-8" breaks it.
    public const string JsonContentType = "application/json";

    public const int BadRequest = 40000;
    public const int InvalidBody = 40001;
    public const int InvalidParameter = 40003;
    public const int MessageTooLarge = 40009;
    public const int InvalidChannelName = 40010;
    public const int InvalidData = 40013;
    public const int InvalidMessageId = 40031;
    public const int TooManyMessages = 40034;
    public const int InvalidCredentials = 40101;
    public const int TokenUnrecognised = 40143;
    public const int NotFound = 40400;
    public const int MethodNotAllowed = 40500;
    public const int ChannelRateLimit = 42913;
    public const int AccountMessageRateLimit = 42917;
    public const int AccountRequestRateLimit = 42918;
    public const int Internal = 50000;
    public const int Disconnected = 80003;
    public const int UnableToRecover = 80008;

    public static string Href(int code) => "https://help.ably.io/error/" + code.ToString(CultureInfo.InvariantCulture);

    public static AblyException Error(int statusCode, int code, string message) => new(statusCode, code, message);

    /// <summary>Writes <c>{"code","statusCode","message","href"}</c> (the ErrorInfo object, without the outer "error" wrapper).</summary>
    public static void WriteErrorInfo(Utf8JsonWriter writer, int code, int statusCode, string message)
    {
        writer.WriteStartObject();
        writer.WriteNumber("code"u8, code);
        writer.WriteNumber("statusCode"u8, statusCode);
        writer.WriteString("message"u8, message);
        writer.WriteString("href"u8, Href(code));
        writer.WriteEndObject();
    }

    /// <summary>Sends a complete Ably error response: status, JSON body, exact content type and X-Ably-Error* headers.</summary>
    public static async Task WriteAsync(HttpContext context, int statusCode, int code, string message, TimeSpan? retryAfter = null)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            // Too late for a status line; the best remaining signal is a broken connection.
            context.Abort();
            return;
        }

        response.StatusCode = statusCode;
        response.ContentType = JsonContentType;
        response.Headers["X-Ably-ErrorCode"] = code.ToString(CultureInfo.InvariantCulture);
        response.Headers["X-Ably-ErrorMessage"] = HeaderSafe(message);
        if (retryAfter is { } delay)
        {
            response.Headers.RetryAfter = Math.Max(0, (int)Math.Ceiling(delay.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        using (var writer = new Utf8JsonWriter(response.BodyWriter, JsonOutput.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("error"u8);
            WriteErrorInfo(writer, code, statusCode, message);
            writer.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    public static Task WriteAsync(HttpContext context, AblyException error) =>
        WriteAsync(context, error.StatusCode, error.Code, error.Message, error.RetryAfter);

    /// <summary>Header values must be printable ASCII; channel names in messages may not be.</summary>
    private static string HeaderSafe(string message)
    {
        var builder = new StringBuilder(message.Length);
        foreach (var c in message)
        {
            builder.Append(c is >= ' ' and <= '~' ? c : '?');
        }

        return builder.ToString();
    }
}
