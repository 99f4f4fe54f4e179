// Compiled into both the runtime and the source generator, so a channel name is judged by one rule at compile
// time (templates) and at run time (names with placeholders resolved). Keep it netstandard2.0-compatible.
namespace AblyPgTyped.Mapping;

/// <summary>Ably's channel naming rules, as far as a publisher needs them.</summary>
internal static class ChannelNameRules
{
    /// <summary>Why <paramref name="name"/> is not a channel Ably accepts for publishing, or null when it is.</summary>
    public static string? Problem(string name)
    {
        if (name.Length == 0)
        {
            return "it is empty";
        }

        if (name.IndexOf('\n') >= 0 || name.IndexOf('\r') >= 0)
        {
            return "it contains a line break";
        }

        if (name[0] == '[')
        {
            return "it starts with '[', which Ably reserves for channel qualifiers such as [meta]";
        }

        if (name[0] == ':')
        {
            return "it starts with ':'";
        }

        var colon = name.IndexOf(':');
        var channelNamespace = colon < 0 ? name : name.Substring(0, colon);
        return channelNamespace.IndexOf('*') >= 0
            ? $"its namespace '{channelNamespace}' (the part before the first ':') contains '*'"
            : null;
    }
}
