using System;

namespace AblyPgTyped.LocalAbly;

/// <summary>Channel-name decoding and Ably's naming rules.</summary>
internal static class ChannelNames
{
    /// <summary>Percent-decodes a raw URL path segment. Kestrel leaves <c>%2F</c> encoded in Request.Path, so we decode the raw target ourselves.</summary>
    public static string DecodePathSegment(string raw) =>
        raw.Contains('%', StringComparison.Ordinal) ? Uri.UnescapeDataString(raw) : raw;

    /// <summary>Returns null when <paramref name="name"/> is a valid channel name, else the reason it is not.</summary>
    public static string? Validate(string name)
    {
        if (name.Length == 0)
        {
            return "Invalid channel name: the name is empty";
        }

        if (name.AsSpan().IndexOfAny('\n', '\r') >= 0)
        {
            return "Invalid channel name: the name contains a newline";
        }

        if (name[0] == '[')
        {
            return "Invalid channel name: names starting with '[' (channel qualifiers) are not supported here";
        }

        if (name[0] == ':')
        {
            return "Invalid channel name: the name must not start with ':'";
        }

        var colon = name.IndexOf(':', StringComparison.Ordinal);
        var channelNamespace = colon < 0 ? name.AsSpan() : name.AsSpan(0, colon);
        if (channelNamespace.Contains('*'))
        {
            return "Invalid channel name: the namespace (the part before the first ':') must not contain '*'";
        }

        return null;
    }

    /// <summary>Throws 40010 when <paramref name="name"/> is not a valid channel name.</summary>
    public static void EnsureValid(string name)
    {
        var problem = Validate(name);
        if (problem is not null)
        {
            throw AblyErrors.Error(400, AblyErrors.InvalidChannelName, problem + " (channel: \"" + name + "\")");
        }
    }
}
