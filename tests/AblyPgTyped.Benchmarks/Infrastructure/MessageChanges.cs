using System;
using System.Globalization;

namespace AblyPgTyped.Benchmarks.Infrastructure;

/// <summary>
/// What one accepted message carries, read without parsing it: how many changes (from its id), and when each was
/// captured (the <c>capturedAt</c> of every change in its data, one for a single change, many for a bundle).
/// </summary>
internal static class MessageChanges
{
    private const string CapturedAtProperty = "\"capturedAt\":\"";

    /// <summary>
    /// The connector's ids are <c>{installId}-{storeRowId}-{index}</c> for one change and
    /// <c>{installId}-{storeRowId}-{index}-{count}</c> for a bundle of <c>count</c>; anything else counts as one.
    /// </summary>
    public static int Count(ReadOnlySpan<char> id)
    {
        var dashes = 0;
        var last = -1;
        for (var i = 0; i < id.Length; i++)
        {
            if (id[i] == '-')
            {
                dashes++;
                last = i;
            }
        }

        return dashes == 3 && int.TryParse(id[(last + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0 ? count : 1;
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
