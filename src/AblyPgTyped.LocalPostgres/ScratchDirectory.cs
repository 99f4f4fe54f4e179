using System;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped.LocalPostgres;

/// <summary>Creates, hands over and deletes the private temporary directories of clusters.</summary>
internal static class ScratchDirectory
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>
    /// Picks the parent directory. When running as root the server runs as another user, which must be
    /// able to traverse every ancestor; otherwise fall back to /tmp.
    /// </summary>
    public static string ChooseParent(string? requested, string? runAsUser)
    {
        var parent = Path.GetFullPath(string.IsNullOrWhiteSpace(requested) ? Path.GetTempPath() : requested);

        // Unix socket paths are limited to ~107 bytes; keep room for "/ablypg-pg-XXXXXXXX/sock/.s.PGSQL.NNNNN".
        var tooLong = parent.Length > 60;
        var blocked = runAsUser is not null && !IsTraversableByOthers(parent);
        if ((tooLong || blocked) && string.IsNullOrWhiteSpace(requested))
        {
            return "/tmp";
        }

        if (tooLong)
        {
            throw new LocalPostgresException($"TempDirectory '{parent}' is too long for a Unix socket path; use a path of at most 60 characters.");
        }

        if (blocked)
        {
            throw new LocalPostgresException($"TempDirectory '{parent}' (or one of its parents) is not traversable by OS user '{runAsUser}', which runs the server.");
        }

        return parent;
    }

    /// <summary>Creates a fresh 0700 directory <c>parent/prefixXXXXXXXX</c>.</summary>
    public static string Create(string parent, string prefix)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("LocalPostgresCluster supports Linux and other Unix systems only.");
        }

        Directory.CreateDirectory(parent);
        for (var attempt = 0; ; attempt++)
        {
            var path = Path.Combine(parent, prefix + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 8));
            if (!Directory.Exists(path) && !File.Exists(path))
            {
                Directory.CreateDirectory(path, OwnerOnly);
                return path;
            }

            if (attempt > 20)
            {
                throw new LocalPostgresException($"Could not create a unique directory under '{parent}'.");
            }
        }
    }

    /// <summary>Creates a 0700 subdirectory.</summary>
    public static string CreateChild(string parent, string name)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("LocalPostgresCluster supports Linux and other Unix systems only.");
        }

        var path = Path.Combine(parent, name);
        Directory.CreateDirectory(path, OwnerOnly);
        return path;
    }

    /// <summary>Gives <paramref name="path"/> and everything below it to <paramref name="user"/> (no-op when null).</summary>
    public static async Task ChownAsync(string path, string? user, CancellationToken cancellationToken)
    {
        if (user is null)
        {
            return;
        }

        await CommandRunner.RunCheckedAsync("chown", new[] { "-R", user + ":", path }, null, null, TimeSpan.FromSeconds(60), cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Deletes recursively, retrying briefly because a just-stopped server may still be removing files.</summary>
    public static void Delete(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (Directory.Exists(path))
                {
                    Directory.Delete(path, recursive: true);
                }

                return;
            }
            catch (Exception ex) when ((ex is IOException or UnauthorizedAccessException) && attempt < 10)
            {
                Thread.Sleep(100);
            }
        }
    }

    private static bool IsTraversableByOthers(string path)
    {
        for (DirectoryInfo? dir = new(path); dir is not null; dir = dir.Parent)
        {
            if (!dir.Exists)
            {
                continue; // Will be created by us with default permissions.
            }

            if ((dir.UnixFileMode & UnixFileMode.OtherExecute) == 0)
            {
                return false;
            }
        }

        return true;
    }
}
