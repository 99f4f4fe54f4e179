using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AblyPgTyped.LocalAbly;

/// <summary>
/// Checks Ably basic credentials: <c>Authorization: Basic base64(keyName:keySecret)</c> or the <c>key</c> query parameter.
/// Basic auth over plain HTTP is accepted on purpose (loopback dev server). Error messages never contain a secret.
/// </summary>
internal sealed class Authenticator
{
    private readonly Dictionary<string, byte[]> _secretsByKeyName = new(StringComparer.Ordinal);
    private string? _lastAcceptedHeader;

    public Authenticator(IEnumerable<string> apiKeys)
    {
        foreach (string key in apiKeys)
        {
            int colon = key.IndexOf(':', StringComparison.Ordinal);
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
        StringValues authorization = request.Headers.Authorization;
        if (authorization.Count > 0 && !string.IsNullOrEmpty(authorization[0]))
        {
            string header = authorization[0]!;
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
                throw Unauthorized("Token authentication is not supported by the local Ably server; use Basic auth with an API key (keyName:keySecret)");
            }
            else
            {
                throw Unauthorized("Unsupported Authorization scheme; use Basic base64(keyName:keySecret)");
            }
        }
        else if (request.Query.TryGetValue("key", out StringValues key) && !StringValues.IsNullOrEmpty(key))
        {
            credentials = key[0];
        }

        if (credentials is null)
        {
            throw Unauthorized("No means of authentication provided: send Authorization: Basic base64(keyName:keySecret) or the key query parameter");
        }

        int colon = credentials.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw Unauthorized("Invalid credentials: expected keyName:keySecret");
        }

        string keyName = credentials.Substring(0, colon);
        if (!_secretsByKeyName.TryGetValue(keyName, out byte[]? expected))
        {
            throw Unauthorized("Invalid credentials: unknown key name \"" + keyName + "\"");
        }

        byte[] given = Encoding.UTF8.GetBytes(credentials.Substring(colon + 1));
        if (!CryptographicOperations.FixedTimeEquals(given, expected))
        {
            throw Unauthorized("Invalid credentials: the key secret does not match key \"" + keyName + "\"");
        }

        if (fromHeader is not null)
        {
            Volatile.Write(ref _lastAcceptedHeader, fromHeader);
        }
    }

    private static AblyException Unauthorized(string message) => new(401, AblyErrors.InvalidCredentials, message);
}
