using System;
using System.Security.Cryptography;
using System.Text;

namespace AblyPgTyped.LocalPostgres;

/// <summary>
/// Builds a PostgreSQL SCRAM-SHA-256 password verifier client-side, so that changing a password never
/// puts the plain text into SQL (and so never into the server log).
/// </summary>
internal static class ScramVerifier
{
    private const int Iterations = 4096;

    /// <summary>
    /// Only ASCII passwords are supported: PostgreSQL leaves those unchanged by SASLprep, so the
    /// verifier matches what the server would compute.
    /// </summary>
    public static bool Supports(string password) => Ascii.IsValid(password);

    public static string Create(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, 32);
        var clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
        var storedKey = SHA256.HashData(clientKey);
        var serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
        return $"SCRAM-SHA-256${Iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}";
    }
}
