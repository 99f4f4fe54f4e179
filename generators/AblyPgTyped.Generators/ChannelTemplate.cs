using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace AblyPgTyped.Generators;

/// <summary>Parses channel templates such as <c>users:{Id}</c> and checks them against Ably's naming rules.</summary>
internal sealed class ChannelTemplate
{
    private ChannelTemplate(List<(string Text, bool IsPlaceholder)> parts, string? problem)
    {
        Parts = parts;
        Problem = problem;
    }

    public List<(string Text, bool IsPlaceholder)> Parts { get; }

    /// <summary>Why the template is not a valid channel name, or null.</summary>
    public string? Problem { get; }

    public static ChannelTemplate Parse(string template)
    {
        var parts = new List<(string, bool)>();
        var literal = new StringBuilder();
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if (c == '{' && i + 1 < template.Length && template[i + 1] == '{')
            {
                literal.Append('{');
                i++;
            }
            else if (c == '}' && i + 1 < template.Length && template[i + 1] == '}')
            {
                literal.Append('}');
                i++;
            }
            else if (c == '}')
            {
                return Fail("it has a '}' with no '{' before it (write '}}' for a literal brace)");
            }
            else if (c == '{')
            {
                var end = template.IndexOf('}', i + 1);
                if (end < 0)
                {
                    return Fail("it has a '{' with no closing '}' (write '{{' for a literal brace)");
                }

                var name = template.Substring(i + 1, end - i - 1);
                if (!SyntaxFacts.IsValidIdentifier(name))
                {
                    return Fail($"the placeholder {{{name}}} is not a property name");
                }

                if (literal.Length > 0)
                {
                    parts.Add((literal.ToString(), false));
                    literal.Clear();
                }

                parts.Add((name, true));
                i = end;
            }
            else
            {
                literal.Append(c);
            }
        }

        if (literal.Length > 0)
        {
            parts.Add((literal.ToString(), false));
        }

        // Placeholders stand for some non-empty text; the resolved name is checked again at run time.
        var shape = string.Concat(parts.Select(p => p.Item2 ? "x" : p.Item1));
        return new ChannelTemplate(parts, NamingProblem(shape));
    }

    /// <summary>Ably's channel naming rules, for names known at compile time.</summary>
    public static string? NamingProblem(string name)
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

    private static ChannelTemplate Fail(string problem) => new([], problem);
}
