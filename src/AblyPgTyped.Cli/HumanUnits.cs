using System;
using System.Globalization;

namespace AblyPgTyped.Cli;

/// <summary>Durations, sizes and times as the text outputs print them.</summary>
internal static class HumanUnits
{
    /// <summary><c>0.4 s</c>, <c>12 s</c>, <c>3 min 12 s</c>, <c>2 h 5 min</c>, <c>3 d 4 h</c>.</summary>
    public static string Duration(double seconds)
    {
        var span = TimeSpan.FromSeconds(Math.Max(0, seconds));
        return span.TotalSeconds < 10 ? Invariant($"{span.TotalSeconds:0.0} s")
            : span.TotalMinutes < 1 ? Invariant($"{span.TotalSeconds:0} s")
            : span.TotalHours < 1 ? Invariant($"{span.Minutes} min {span.Seconds} s")
            : span.TotalDays < 1 ? Invariant($"{span.Hours} h {span.Minutes} min")
            : Invariant($"{(int)span.TotalDays} d {span.Hours} h");
    }

    /// <summary><c>812 B</c>, <c>16 kB</c>, <c>1.2 MB</c>, <c>3.4 GB</c> (powers of 1000).</summary>
    public static string Size(long bytes) =>
        bytes < 1000 ? Invariant($"{bytes} B")
        : bytes < 1_000_000 ? Invariant($"{bytes / 1000.0:0.#} kB")
        : bytes < 1_000_000_000 ? Invariant($"{bytes / 1_000_000.0:0.#} MB")
        : Invariant($"{bytes / 1_000_000_000.0:0.##} GB");

    /// <summary>A time in UTC, to the second: <c>2026-11-27 10:15:02Z</c>.</summary>
    public static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>A count with thousands separators: <c>1,250</c>.</summary>
    public static string Count(long count) => count.ToString("#,0", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
