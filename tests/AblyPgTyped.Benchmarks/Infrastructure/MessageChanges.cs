using System;
using System.Globalization;

namespace AblyPgTyped.Benchmarks.Infrastructure;

/// <summary>
/// What one accepted message carries, read without parsing it: how many changes, and when each was
/// captured (the <c>capturedAt</c> of every change in its data, one for a single change, many for a bundle).
/// </summary>
internal static class MessageChanges
{
    private const string CapturedAtName = "capturedAt";
    private const string CapturedAtProperty = "\"capturedAt\":\"";

    /// <summary>
    /// How many changes a message carries: one <c>capturedAt</c> per change, in a single change or a bundle, whether
    /// <paramref name="data"/> is the data's JSON text or that text as a JSON string literal; a message without any (the
    /// original's shape) counts as one. The benchmark's tables have no column of that name.
    /// </summary>
    public static int Count(string? data)
    {
        if (data is null)
        {
            return 1;
        }

        var count = 0;
        for (var at = data.IndexOf(CapturedAtName, StringComparison.Ordinal); at >= 0; at = data.IndexOf(CapturedAtName, at + CapturedAtName.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return Math.Max(1, count);
    }

    /// <summary>Calls <paramref name="onChange"/> with the <c>capturedAt</c> of each change in <paramref name="data"/>, written as <c>yyyy-MM-ddTHH:mm:ss.ffffffZ</c>.</summary>
    public static void EachCapturedAt(string data, Action<DateTimeOffset> onChange)
    {
        var at = 0;
        while ((at = data.IndexOf(CapturedAtProperty, at, StringComparison.Ordinal)) >= 0)
        {
            var start = at + CapturedAtProperty.Length;
            var end = data.IndexOf('"', start);
            if (end < 0)
            {
                return;
            }

            if (DateTimeOffset.TryParseExact(data.AsSpan(start, end - start), "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var capturedAt))
            {
                onChange(capturedAt);
            }

            at = end;
        }
    }
}
