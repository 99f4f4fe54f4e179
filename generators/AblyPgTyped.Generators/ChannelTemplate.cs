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
        return new ChannelTemplate(parts, AblyPgTyped.Mapping.ChannelNameRules.Problem(shape));
    }

    private static ChannelTemplate Fail(string problem) => new([], problem);
}
