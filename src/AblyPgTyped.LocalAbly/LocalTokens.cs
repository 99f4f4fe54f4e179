using System.Collections.Concurrent;

namespace AblyPgTyped.LocalAbly;

/// <summary>
/// Opaque tokens that <c>GET /_local/token</c> hands to pages on this machine (ably-js <c>authUrl</c>), so a browser page
/// never holds the API key. A token is valid until the server stops; it grants what the key grants.
/// </summary>
internal sealed class LocalTokens
{
    private readonly ConcurrentDictionary<string, byte> _issued = new(System.StringComparer.Ordinal);

    public string Issue()
    {
        var token = "local-" + MessageIds.RandomToken(24);
        _issued[token] = 0;
        return token;
    }

    public bool IsValid(string token) => _issued.ContainsKey(token);
}
