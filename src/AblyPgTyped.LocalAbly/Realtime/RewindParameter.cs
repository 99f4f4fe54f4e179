using System;
using System.Globalization;

namespace AblyPgTyped.LocalAbly;

/// <summary>
/// The channel param <c>rewind</c>: a number of messages (<c>"10"</c>) or a period (<c>"30s"</c>, <c>"2m"</c>, <c>"1h"</c>),
/// replayed from the channel's retained history when a channel is first attached.
/// </summary>
internal readonly record struct RewindParameter(int? Count, TimeSpan? Period)
{
    public static RewindParameter Parse(string text)
    {
        var value = text.Trim();
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            return new RewindParameter(count, null);
        }

        if (value.Length >= 2 && long.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            TimeSpan? period = value[^1] switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                _ => null,
            };
            if (period is not null)
            {
                return new RewindParameter(null, period);
            }
        }

        throw new AblyException(400, AblyErrors.InvalidParameter, "Invalid rewind parameter \"" + text + "\": use a number of messages (\"10\") or a period (\"30s\", \"2m\", \"1h\")");
    }

    /// <summary>The cursor to deliver from: everything after it is replayed.</summary>
    public long CursorIn(ChannelState channel, DateTimeOffset now) =>
        channel.RewindCursor(Count, Period is { } period ? (now - period).ToUnixTimeMilliseconds() : null);
}
