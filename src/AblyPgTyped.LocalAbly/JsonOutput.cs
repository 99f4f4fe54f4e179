using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace AblyPgTyped.LocalAbly;

/// <summary>Shared JSON writing settings and the success-response helpers.</summary>
internal static class JsonOutput
{
    // Relaxed escaping keeps Unicode channel names readable for people watching with curl; the output is never embedded in HTML.
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    /// <summary>Sets status and the exact <c>application/json</c> content type, and returns a writer straight onto the response body.</summary>
    public static Utf8JsonWriter Begin(HttpContext context, int statusCode)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = AblyErrors.JsonContentType;
        return new Utf8JsonWriter(context.Response.BodyWriter, WriterOptions);
    }

    /// <summary>Flushes and disposes the writer, then sends the buffered bytes.</summary>
    public static async Task EndAsync(HttpContext context, Utf8JsonWriter writer)
    {
        writer.Flush();
        await writer.DisposeAsync().ConfigureAwait(false);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
