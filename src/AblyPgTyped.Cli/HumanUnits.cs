using System;
using System.Globalization;

namespace AblyPgTyped.Cli;

/// <summary>Durations, sizes and times as the text outputs print them, in the same units as the connector's logs.</summary>
internal static class HumanUnits
{
    /// <summary>As the connector's log lines show durations (<see cref="Observability.HumanDuration"/>).</summary>
    public static string Duration(double seconds) => new Observability.HumanDuration(TimeSpan.FromSeconds(Math.Max(0, seconds))).ToString();

    /// <summary>As the connector's log lines show sizes (<see cref="Observability.HumanBytes"/>).</summary>
    public static string Size(long bytes) => new Observability.HumanBytes(bytes).ToString();

    /// <summary>A time in UTC, to the second: <c>2026-11-27 10:15:02Z</c>.</summary>
    public static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>A count with thousands separators: <c>1,250</c>.</summary>
    public static string Count(long count) => count.ToString("#,0", CultureInfo.InvariantCulture);
}
