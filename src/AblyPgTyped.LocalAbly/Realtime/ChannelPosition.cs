using System;
using System.Globalization;

namespace AblyPgTyped.LocalAbly;

/// <summary>
/// A realtime <c>channelSerial</c>: <c>&lt;incarnation&gt;:&lt;sequence&gt;</c>, the position just after the last message a
/// client was given on a channel. ably-js sends it back in ATTACH after a reconnect, and delivery resumes right after it.
/// The incarnation is the channel instance's random id, so a serial from before a reset is recognised as foreign;
/// <c>-</c> means the channel did not exist yet.
/// </summary>
internal readonly record struct ChannelPosition(string Incarnation, long Sequence)
{
    public const string NoChannel = "-";

    public override string ToString() => Incarnation + ":" + Sequence.ToString(CultureInfo.InvariantCulture);

    public static bool TryParse(string? text, out ChannelPosition position)
    {
        position = default;
        var colon = text?.LastIndexOf(':') ?? -1;
        if (colon <= 0
            || !long.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            return false;
        }

        position = new ChannelPosition(text!.Substring(0, colon), sequence);
        return true;
    }
}
