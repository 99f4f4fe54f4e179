using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped.LocalPostgres;

/// <summary>Runs initdb for a data directory inside a scratch directory.</summary>
internal static class Initdb
{
    public static async Task RunAsync(
        PostgresBinaries binaries,
        string scratchDirectory,
        string dataDirectory,
        string username,
        string password,
        string? runAsUser,
        CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("LocalPostgresCluster supports Linux and other Unix systems only.");
        }

        // The password goes through a 0600 file, never the command line.
        var passwordFile = Path.Combine(scratchDirectory, "pwfile");
        FileStreamOptions fileOptions = new()
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using (StreamWriter writer = new(passwordFile, fileOptions))
        {
            await writer.WriteAsync(password.AsMemory(), cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await ScratchDirectory.ChownAsync(scratchDirectory, runAsUser, cancellationToken).ConfigureAwait(false);
            string[] arguments =
            {
                "-D", dataDirectory,
                "-U", username,
                "--pwfile=" + passwordFile,
                "--auth=scram-sha-256",
                "-E", "UTF8",
                "--locale=C",

                // Safe: only initdb skips fsync; the running server keeps fsync on.
                "--no-sync",
            };
            await CommandRunner.RunCheckedAsync(binaries.Initdb, arguments, runAsUser, scratchDirectory, TimeSpan.FromSeconds(120), cancellationToken)
                .ConfigureAwait(false);
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }
}
