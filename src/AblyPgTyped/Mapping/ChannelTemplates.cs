using System.Collections.Generic;

namespace AblyPgTyped;

/// <summary>Reading a mapping's channel templates, such as <c>orders:{CustomerId}</c>.</summary>
internal static class ChannelTemplates
{
    /// <summary>The property names of a template's <c>{Property}</c> placeholders (<c>{{</c> and <c>}}</c> are literal braces).</summary>
    public static IEnumerable<string> Placeholders(string? template)
    {
        if (template is null)
        {
            yield break;
        }

        for (var i = 0; i < template.Length; i++)
        {
            if (template[i] == '{' && i + 1 < template.Length && template[i + 1] == '{')
            {
                i++;
            }
            else if (template[i] == '{' && template.IndexOf('}', i) is var end and > 0)
            {
                yield return template.Substring(i + 1, end - i - 1);
                i = end;
            }
        }
    }
}
