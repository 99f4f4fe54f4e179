using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AblyPgTyped.LocalAbly;

/// <summary>
/// Checks Ably credentials: <c>Authorization: Basic base64(keyName:keySecret)</c> or the <c>key</c> query parameter; or a
/// token from <c>GET /_local/token</c> as <c>Authorization: Bearer base64(token)</c> or the <c>access_token</c> /
/// <c>accessToken</c> query parameter. Basic auth over plain HTTP is accepted on purpose (loopback dev server).
/// Error messages never contain a secret.
/// </summary>
internal sealed class Authenticator
{
    private readonly Dictionary<string, byte[]> _secretsByKeyName = new(StringComparer.Ordinal);
    private readonly LocalTokens _tokens;
    private string? _lastAcceptedHeader;

    public Authenticator(IEnumerable<string> apiKeys, LocalTokens tokens)
    {
        _tokens = tokens;
        foreach (var key in apiKeys)
        {
            var colon = key.IndexOf(':', StringComparison.Ordinal);
            _secretsByKeyName[key.Substring(0, colon)] = Encoding.UTF8.GetBytes(key.Substring(colon + 1));
        }
    }

    public bool Enabled => _secretsByKeyName.Count > 0;

    /// <summary>Throws 401 / 40101 unless the request carries a configured key.</summary>
    public void Authenticate(HttpRequest request)
    {
        if (!Enabled)
        {
            return;
        }

        string? credentials = null;
        string? fromHeader = null;
        var authorization = request.Headers.Authorization;
        if (authorization.Count > 0 && !string.IsNullOrEmpty(authorization[0]))
        {
            var header = authorization[0]!;
            if (string.Equals(header, Volatile.Read(ref _lastAcceptedHeader), StringComparison.Ordinal))
            {
                return; // same header as the last good request: skip base64 and the comparison
            }

            if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
            {
                try
                {
                    credentials = Encoding.UTF8.GetString(Convert.FromBase64String(header.Substring(6).Trim()));
                    fromHeader = header;
                }
                catch (FormatException)
                {
                    throw Unauthorized("Invalid credentials: the Basic Authorization header is not valid base64");
                }
            }
            else if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                string token;
                try
                {
                    token = Encoding.UTF8.GetString(Convert.FromBase64String(header.Substring(7).Trim()));
                }
                catch (FormatException)
                {
                    token = header.Substring(7).Trim();
                }

                CheckToken(token);
                return;
            }
            else
            {
                throw Unauthorized("Unsupported Authorization scheme; use Basic base64(keyName:keySecret)");
            }
        }
        else if (request.Query.TryGetValue("key", out var key) && !StringValues.IsNullOrEmpty(key))
        {
            credentials = key[0];
        }
        else if ((request.Query.TryGetValue("access_token", out var token) || request.Query.TryGetValue("accessToken", out token)) && !StringValues.IsNullOrEmpty(token))
        {
            CheckToken(token[0]!);
            return;
        }

        if (credentials is null)
        {
            throw Unauthorized("No means of authentication provided: send Authorization: Basic base64(keyName:keySecret) or the key query parameter");
        }

        var colon = credentials.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw Unauthorized("Invalid credentials: expected keyName:keySecret");
        }

        var keyName = credentials.Substring(0, colon);
        if (!_secretsByKeyName.TryGetValue(keyName, out var expected))
        {
            throw Unauthorized("Invalid credentials: unknown key name \"" + keyName + "\"");
        }

        var given = Encoding.UTF8.GetBytes(credentials.Substring(colon + 1));
        if (!CryptographicOperations.FixedTimeEquals(given, expected))
        {
            throw Unauthorized("Invalid credentials: the key secret does not match key \"" + keyName + "\"");
        }

        if (fromHeader is not null)
        {
            Volatile.Write(ref _lastAcceptedHeader, fromHeader);
        }
    }

    private void CheckToken(string token)
    {
        if (!_tokens.IsValid(token))
        {
            throw new AblyException(401, AblyErrors.TokenUnrecognised, "Token not recognised: the local Ably server accepts only tokens it issued (GET /_local/token) since it started; API keys work too");
        }
    }

    private static AblyException Unauthorized(string message) => new(401, AblyErrors.InvalidCredentials, message);
}
