using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace AblyPgTyped.LocalPostgres;

/// <summary>An initdb'd, never-started data directory whose superuser password is <see cref="Password"/>.</summary>
internal sealed record InitdbTemplate(string ScratchDirectory, string DataDirectory, string Password);

/// <summary>
/// One initdb per (binaries, superuser, OS user) per process; clusters copy it, which is faster than
/// running initdb each time. Templates are deleted at process exit (or by their watchdog).
/// </summary>
internal static class InitdbTemplateCache
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static readonly Dictionary<string, InitdbTemplate> Templates = new(StringComparer.Ordinal);

    public static async Task<InitdbTemplate> GetAsync(
        PostgresBinaries binaries,
        string username,
        string? runAsUser,
        string parentDirectory,
        bool useWatchdog,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        var key = string.Join('\n', binaries.BinDirectory, username, runAsUser ?? string.Empty, parentDirectory);
        await Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Templates.TryGetValue(key, out var existing) && Directory.Exists(existing.DataDirectory))
            {
                return existing;
            }

            var stopwatch = Stopwatch.StartNew();
            var scratch = ScratchDirectory.Create(parentDirectory, "ablypg-pg-template-");
            var watched = useWatchdog && Watchdog.Start(scratch, logger);
            ProcessExitCleanup.Register(() => ScratchDirectory.Delete(scratch), runOnInterrupt: !watched);

            var dataDirectory = Path.Combine(scratch, "data");
            var password = RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 32);
            try
            {
                await Initdb.RunAsync(binaries, scratch, dataDirectory, username, password, runAsUser, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                ScratchDirectory.Delete(scratch);
                throw;
            }

            InitdbTemplate template = new(scratch, dataDirectory, password);
            Templates[key] = template;
            logger.LogDebug("initdb template {Directory} created in {ElapsedMs} ms", dataDirectory, stopwatch.ElapsedMilliseconds);
            return template;
        }
        finally
        {
            Gate.Release();
        }
    }
}
