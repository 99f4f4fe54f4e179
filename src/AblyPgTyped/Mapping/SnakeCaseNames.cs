// Compiled into both the runtime and the source generator, so a property's snake_case column is derived by one rule at
// compile time (the mapping) and at run time (start-up hints). Keep it netstandard2.0-compatible.
using System.Globalization;
using System.Text;

namespace AblyPgTyped.Mapping;

/// <summary>The <c>ColumnNaming.SnakeCase</c> rule.</summary>
internal static class SnakeCaseNames
{
    /// <summary>
    /// <paramref name="name"/> in lower-case snake_case. For ASCII names this is the rule of EF Core's
    /// <c>UseSnakeCaseNamingConvention()</c> and Npgsql's <c>NpgsqlSnakeCaseNameTranslator</c>, so a schema they created
    /// matches: a word starts at an upper-case letter after a lower-case letter (<c>OrderId</c> → <c>order_id</c>), or
    /// at the last upper-case letter of a run that a lower-case letter follows (<c>HTTPStatus</c> → <c>http_status</c>);
    /// digits stay with the word before them (<c>Address2</c> → <c>address2</c>, <c>Sha256Hash</c> → <c>sha256hash</c>);
    /// underscores are kept. Letters without case and marks are kept as they are.
    /// </summary>
    public static string From(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        var previous = Previous.Start;
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c == '_')
            {
                builder.Append('_');
                previous = Previous.Start;
                continue;
            }

            switch (CharUnicodeInfo.GetUnicodeCategory(c))
            {
                case UnicodeCategory.UppercaseLetter:
                case UnicodeCategory.TitlecaseLetter:
                    var afterLower = previous == Previous.Lower;
                    var endsUpperRun = previous == Previous.Upper && i + 1 < name.Length && char.IsLower(name[i + 1]);
                    if (afterLower || endsUpperRun)
                    {
                        builder.Append('_');
                    }

                    builder.Append(char.ToLowerInvariant(c));
                    previous = Previous.Upper;
                    break;
                case UnicodeCategory.DecimalDigitNumber:
                    builder.Append(c);
                    previous = Previous.Digit;
                    break;
                default:
                    builder.Append(c);
                    previous = Previous.Lower;
                    break;
            }
        }

        return builder.ToString();
    }

    private enum Previous
    {
        Start,
        Lower,
        Upper,
        Digit,
    }
}
