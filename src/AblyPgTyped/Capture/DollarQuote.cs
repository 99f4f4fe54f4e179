using System;

namespace AblyPgTyped.Capture;

/// <summary>Dollar-quote tags for the SQL the connector writes around the capture DDL.</summary>
internal static class DollarQuote
{
    /// <summary>A tag that does not occur in <paramref name="body"/>, so no name inside it can end the quote.</summary>
    public static string TagFor(string body)
    {
        var tag = "$ablypg_do$";
        for (var i = 1; body.Contains(tag, StringComparison.Ordinal); i++)
        {
            tag = "$ablypg_do" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "$";
        }

        return tag;
    }
}
