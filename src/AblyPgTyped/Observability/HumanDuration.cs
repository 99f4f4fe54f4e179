using System;
using System.Globalization;

namespace AblyPgTyped.Observability;

/// <summary>
/// A duration as log lines show it: <c>250 ms</c>, <c>1.5 s</c>, <c>4 min 10 s</c>, <c>3 h 5 min</c>, <c>2 d 4 h</c>, rather
/// than <c>00:00:00.2500000</c>. Structured log sinks still receive the <see cref="TimeSpan"/> through <see cref="Value"/>.
/// </summary>
internal readonly record struct HumanDuration(TimeSpan Value)
{
    public static implicit operator HumanDuration(TimeSpan value) => new(value);

    public override string ToString()
    {
        var t = Value.Duration();
        var sign = Value < TimeSpan.Zero ? "-" : "";
        var text = t.TotalSeconds switch
        {
            0 => "0 s",
            < 1 => F("{0:0} ms", t.TotalMilliseconds),
            < 10 => F("{0:0.#} s", Math.Floor(t.TotalSeconds * 10) / 10),
            < 60 => F("{0:0} s", Math.Floor(t.TotalSeconds)),
            < 3600 => Pair(t.Minutes, "min", t.Seconds, "s"),
            < 86400 => Pair(t.Hours, "h", t.Minutes, "min"),
            _ => Pair(t.Days, "d", t.Hours, "h"),
        };
        return sign + text;
    }

    private static string Pair(int major, string majorUnit, int minor, string minorUnit) =>
        minor == 0 ? F("{0} {1}", major, majorUnit) : F("{0} {1} {2} {3}", major, majorUnit, minor, minorUnit);

    private static string F(string format, params object[] args) => string.Format(CultureInfo.InvariantCulture, format, args);
}
