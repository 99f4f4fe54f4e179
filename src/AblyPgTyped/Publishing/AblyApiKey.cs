using System;
using System.Text;

namespace AblyPgTyped.Publishing;

/// <summary>
/// An Ably API key (<c>keyName:keySecret</c>, split at the first ':'). The secret is only reachable through
/// <see cref="BasicAuthorizationParameter"/> and <see cref="Redact"/>; <see cref="ToString"/> prints <c>keyName:***</c>.
/// </summary>
internal sealed class AblyApiKey
{
    private readonly string _secret;

    private AblyApiKey(string keyName, string secret)
    {
        KeyName = keyName;
        _secret = secret;
        BasicAuthorizationParameter = Convert.ToBase64String(Encoding.UTF8.GetBytes(keyName + ":" + secret));
    }

    /// <summary>The public part, e.g. <c>appId.keyId</c>. Safe to log.</summary>
    public string KeyName { get; }

    /// <summary>The parameter of <c>Authorization: Basic …</c>: base64 of the full key. Never log it.</summary>
    public string BasicAuthorizationParameter { get; }

    /// <summary>The whole header value, <c>Basic base64(keyName:keySecret)</c>. Never log it.</summary>
    public string BasicAuthorizationHeaderValue => "Basic " + BasicAuthorizationParameter;

    /// <summary>Parses a full key; the problem text never repeats the key or its secret.</summary>
    public static bool TryParse(string? value, out AblyApiKey? key, out string? problem)
    {
        key = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            problem = "is missing: set it to the full API key \"keyName:keySecret\" (as shown in the Ably dashboard)";
            return false;
        }

        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            problem = "has no ':' separator: expected the full API key \"keyName:keySecret\", not just one part of it";
            return false;
        }

        if (colon == 0)
        {
            problem = "has an empty key name before the ':': expected \"keyName:keySecret\"";
            return false;
        }

        if (colon == value.Length - 1)
        {
            problem = "has an empty secret after the ':': expected \"keyName:keySecret\"";
            return false;
        }

        var name = value.Substring(0, colon);
        var secret = value.Substring(colon + 1);
        if (HasWhitespaceOrControl(name) || HasWhitespaceOrControl(secret))
        {
            problem = "contains whitespace or control characters (copy/paste error?): expected \"keyName:keySecret\"";
            return false;
        }

        problem = null;
        key = new AblyApiKey(name, secret);
        return true;
    }

    /// <summary>Parses a full key or throws <see cref="AblyConfigurationException"/> (whose message never holds the secret).</summary>
    public static AblyApiKey Parse(string? value) =>
        TryParse(value, out var key, out var problem) ? key! : throw new AblyConfigurationException(nameof(AblyOptions.ApiKey), problem!);

    /// <summary>Replaces every occurrence of the secret (and of the base64 credentials) in <paramref name="text"/> with <c>***</c>.</summary>
    public string Redact(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        if (text.Contains(_secret, StringComparison.Ordinal))
        {
            text = text.Replace(_secret, "***", StringComparison.Ordinal);
        }

        if (text.Contains(BasicAuthorizationParameter, StringComparison.Ordinal))
        {
            text = text.Replace(BasicAuthorizationParameter, "***", StringComparison.Ordinal);
        }

        return text;
    }

    /// <summary>Returns <c>keyName:***</c>.</summary>
    public override string ToString() => KeyName + ":***";

    private static bool HasWhitespaceOrControl(string value)
    {
        foreach (var c in value)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }
}
