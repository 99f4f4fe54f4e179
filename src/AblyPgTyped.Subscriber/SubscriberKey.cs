using System;
using System.Text;

namespace AblyPgTyped;

/// <summary>The credentials of a subscription: the API key's parts, and what may never appear in a message.</summary>
internal static class SubscriberKey
{
    /// <summary>What is wrong with a key, in words that never repeat it; null for a well-formed <c>keyName:keySecret</c>.</summary>
    public static string? Problem(string key)
    {
        var colon = key.IndexOf(':', StringComparison.Ordinal);
        if (key.Trim().Length == 0)
        {
            return "is empty: set it to the full API key \"keyName:keySecret\"";
        }

        if (colon < 0)
        {
            return "has no ':': expected the full API key \"keyName:keySecret\", not one part of it";
        }

        if (colon == 0 || colon == key.Length - 1)
        {
            return "has an empty key name or secret: expected \"keyName:keySecret\"";
        }

        foreach (var c in key)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return "contains whitespace or control characters (a copy and paste error?): expected \"keyName:keySecret\"";
            }
        }

        return null;
    }

    /// <summary>The key's public part, <c>appId.keyId</c>.</summary>
    public static string Name(string key) => key[..key.IndexOf(':', StringComparison.Ordinal)];

    /// <summary>The value of <c>Authorization: Basic</c> for the key.</summary>
    public static string BasicParameter(string key) => Convert.ToBase64String(Encoding.UTF8.GetBytes(key));

    /// <summary>Replaces the key's secret, and its base64 form, in <paramref name="text"/> with <c>***</c>.</summary>
    public static string Redact(string text, string? key)
    {
        var colon = key?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (key is null || colon < 0 || colon == key.Length - 1)
        {
            return text;
        }

        return text.Replace(key[(colon + 1)..], "***", StringComparison.Ordinal).Replace(BasicParameter(key), "***", StringComparison.Ordinal);
    }
}
