using System;
using System.Collections.Generic;
using System.Globalization;

namespace AblyPgTyped.Config;

/// <summary>
/// A .env file read as the original read it (with the <c>dotenv</c> npm package): <c>KEY=VALUE</c> lines, blank lines,
/// <c>#</c> comments, an optional <c>export </c> prefix, values in single, double or back quotes (which may span lines;
/// <c>\n</c> and <c>\r</c> are expanded in double quotes only), and <c>=</c> inside values. An unquoted value ends at
/// <c>#</c>, as in dotenv. A later line wins over an earlier one with the same key. Unlike dotenv, a line that is not
/// <c>KEY=VALUE</c> is an error rather than silently skipped. Messages never repeat a line's text, which may hold a secret.
/// </summary>
internal static class DotEnvFile
{
    public static Dictionary<string, string> Parse(string text, ConfigSource source)
    {
        text = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 0;
        var line = 1;
        while (i < text.Length)
        {
            SkipBlanks(text, ref i);
            if (i >= text.Length)
            {
                break;
            }

            if (text[i] == '\n')
            {
                i++;
                line++;
                continue;
            }

            if (text[i] == '#')
            {
                SkipToEndOfLine(text, ref i);
                continue;
            }

            var lineField = "line " + line.ToString(CultureInfo.InvariantCulture);
            if (text.AsSpan(i).StartsWith("export", StringComparison.Ordinal) && i + 6 < text.Length && text[i + 6] is ' ' or '\t')
            {
                i += 6;
                SkipBlanks(text, ref i);
            }

            var keyStart = i;
            while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '_' or '.' or '-'))
            {
                i++;
            }

            var key = text[keyStart..i];
            SkipBlanks(text, ref i);
            if (key.Length == 0 || i >= text.Length || text[i] != '=')
            {
                throw source.Error(lineField, "is not a KEY=VALUE line (a KEY holds letters, digits, '_', '.' and '-'; comments start with #)");
            }

            i++;
            SkipBlanks(text, ref i);
            var keyField = key + " (" + lineField + ")";
            string value;
            if (i < text.Length && text[i] is '\'' or '"' or '`')
            {
                var quote = text[i];
                var start = ++i;
                var close = -1;
                var lines = 0;
                for (var j = start; j < text.Length; j++)
                {
                    if (text[j] == '\\' && j + 1 < text.Length && text[j + 1] == quote)
                    {
                        j++;
                    }
                    else if (text[j] == quote)
                    {
                        close = j;
                        break;
                    }
                    else if (text[j] == '\n')
                    {
                        lines++;
                    }
                }

                if (close < 0)
                {
                    throw source.Error(keyField, "opens a " + quote + " quote that is never closed");
                }

                value = text[start..close];
                if (quote == '"')
                {
                    value = value.Replace("\\n", "\n", StringComparison.Ordinal).Replace("\\r", "\r", StringComparison.Ordinal);
                }

                i = close + 1;
                line += lines;
                SkipBlanks(text, ref i);
                if (i < text.Length && text[i] == '#')
                {
                    SkipToEndOfLine(text, ref i);
                }
                else if (i < text.Length && text[i] != '\n')
                {
                    throw source.Error(
                        keyField,
                        lines == 0
                            ? "has text after its closing quote: quote the whole value, or start a comment with #"
                            : "opens a " + quote + " quote that is not closed on its line (the next " + quote + " is on line "
                              + line.ToString(CultureInfo.InvariantCulture) + ", followed by more text)");
                }
            }
            else
            {
                var start = i;
                while (i < text.Length && text[i] is not ('\n' or '#'))
                {
                    i++;
                }

                value = text[start..i].Trim();
                SkipToEndOfLine(text, ref i);
            }

            values[key] = value;
        }

        return values;
    }

    private static void SkipBlanks(string text, ref int i)
    {
        while (i < text.Length && text[i] is ' ' or '\t')
        {
            i++;
        }
    }

    private static void SkipToEndOfLine(string text, ref int i)
    {
        while (i < text.Length && text[i] != '\n')
        {
            i++;
        }
    }
}
