using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AblyPgTyped.LocalPostgres;

/// <summary>initdb/copy, pg_ctl start/stop and connection checks.</summary>
public sealed partial class LocalPostgresCluster
{
    private const int MaxPortAttempts = 5;

    private async Task InitializeAsync(LocalPostgresOptions options, string parentDirectory, Dictionary<string, string> settings, CancellationToken cancellationToken)
    {
        var watched = options.UseWatchdog && Watchdog.Start(RootDirectory, logger);
        exitRegistration = ProcessExitCleanup.Register(EmergencyCleanup, runOnInterrupt: !watched);

        ScratchDirectory.CreateChild(RootDirectory, "sock");
        var phase = Stopwatch.StartNew();
        string? templatePassword = null;
        if (options.UseTemplateCache && ScramVerifier.Supports(Password))
        {
            var template = await InitdbTemplateCache
                .GetAsync(binaries, Username, runAsUser, parentDirectory, options.UseWatchdog, logger, cancellationToken)
                .ConfigureAwait(false);
            await ScratchDirectory.ChownAsync(RootDirectory, runAsUser, cancellationToken).ConfigureAwait(false);

            // cp -a keeps the OS user's ownership and the 0700 mode PostgreSQL insists on.
            await CommandRunner.RunCheckedAsync("cp", new[] { "-a", template.DataDirectory, DataDirectory }, null, null, TimeSpan.FromSeconds(120), cancellationToken)
                .ConfigureAwait(false);
            templatePassword = template.Password;
        }
        else
        {
            await Initdb.RunAsync(binaries, RootDirectory, DataDirectory, Username, Password, runAsUser, cancellationToken).ConfigureAwait(false);
        }

        logger.LogDebug("Data directory ready in {ElapsedMs} ms (template: {Template})", phase.ElapsedMilliseconds, templatePassword is not null);
        ServerConfiguration.Append(DataDirectory, SocketDirectory, settings);
        phase.Restart();
        await StartServerAsync(retryOnPortConflict: options.Port == 0, cancellationToken).ConfigureAwait(false);
        logger.LogDebug("pg_ctl start took {ElapsedMs} ms", phase.ElapsedMilliseconds);

        if (templatePassword is null)
        {
            ServerVersion = await WaitForConnectionAsync(ConnectionString, cancellationToken).ConfigureAwait(false);
            return;
        }

        // The copy still has the template's password: replace it with a verifier computed here.
        var bootstrap = BuildConnectionString(templatePassword);
        await WaitForConnectionAsync(bootstrap, cancellationToken).ConfigureAwait(false);
        var alter = $"ALTER ROLE {PostgresAdmin.QuoteIdentifier(Username)} PASSWORD '{ScramVerifier.Create(Password)}'";
        await PostgresAdmin.ExecuteAsync(bootstrap, alter, cancellationToken).ConfigureAwait(false);
        ServerVersion = await WaitForConnectionAsync(ConnectionString, cancellationToken).ConfigureAwait(false);
    }

    private async Task StartServerAsync(bool retryOnPortConflict, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var logOffset = File.Exists(LogFile) ? new FileInfo(LogFile).Length : 0;
            string[] arguments =
            {
                "start", "-w",
                "-t", ((int)Math.Ceiling(startTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
                "-D", DataDirectory,
                "-l", LogFile,

                // pg_ctl passes -o through a shell, so only the (numeric) port goes here; the rest is in postgresql.conf.
                "-o", "-p " + Port.ToString(CultureInfo.InvariantCulture),
            };
            var result = await CommandRunner
                .RunAsync(binaries.PgCtl, arguments, runAsUser, RootDirectory, startTimeout + TimeSpan.FromSeconds(15), cancellationToken)
                .ConfigureAwait(false);
            if (result.ExitCode == 0 && PostmasterProcess.ReadPid(DataDirectory) is int pid)
            {
                postmasterPid = pid;
                return;
            }

            // A half-started postmaster must not linger before we retry or give up.
            await StopCoreAsync(immediate: true, TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
            var newLog = ReadLog(logOffset);
            var portTaken = newLog.Contains("could not bind", StringComparison.OrdinalIgnoreCase)
                || newLog.Contains("could not create any TCP/IP sockets", StringComparison.OrdinalIgnoreCase);
            if (retryOnPortConflict && portTaken && attempt < MaxPortAttempts)
            {
                logger.LogDebug("Port {Port} was taken; retrying with another port", Port);
                Port = FreePort.Pick();
                ConnectionString = BuildConnectionString(Password);
                continue;
            }

            throw new LocalPostgresException(CommandRunner.FailureMessage(result, LogTailDiagnostic()));
        }
    }

    private async Task<Version> WaitForConnectionAsync(string connectionString, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await PostgresAdmin.GetServerVersionAsync(connectionString, cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState != PostgresErrorCodes.CannotConnectNow)
            {
                throw new LocalPostgresException(
                    $"The server on 127.0.0.1:{Port} rejected the connection as '{Username}': {ex.Message}" + Environment.NewLine + LogTailDiagnostic(), ex);
            }
            catch (NpgsqlException ex)
            {
                if (stopwatch.Elapsed > startTimeout)
                {
                    throw new LocalPostgresException(
                        $"Could not connect to 127.0.0.1:{Port} within {startTimeout.TotalSeconds:0} s: {ex.Message}" + Environment.NewLine + LogTailDiagnostic(), ex);
                }

                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task StopCoreAsync(bool immediate, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var pid = postmasterPid ?? PostmasterProcess.ReadPid(DataDirectory);
        try
        {
            if (pid is null || !PostmasterProcess.IsAlive(pid.Value))
            {
                return;
            }

            var mode = immediate ? "immediate" : "fast";
            await RunPgCtlStopAsync(mode, timeout, cancellationToken).ConfigureAwait(false);
            if (await PostmasterProcess.WaitForExitAsync(pid.Value, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            if (!immediate)
            {
                logger.LogWarning("Fast shutdown of postmaster {Pid} did not finish; using immediate", pid);
                await RunPgCtlStopAsync("immediate", timeout, cancellationToken).ConfigureAwait(false);
                if (await PostmasterProcess.WaitForExitAsync(pid.Value, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }

            logger.LogWarning("Postmaster {Pid} survived pg_ctl stop; killing it", pid);
            PostmasterProcess.Kill(pid.Value);
            if (!await PostmasterProcess.WaitForExitAsync(pid.Value, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false))
            {
                throw new LocalPostgresException($"Postmaster {pid} of '{DataDirectory}' could not be stopped." + Environment.NewLine + LogTailDiagnostic());
            }
        }
        finally
        {
            if (pid is null || !PostmasterProcess.IsAlive(pid.Value))
            {
                postmasterPid = null;
            }

            foreach (var connectionString in KnownConnectionStrings())
            {
                PostgresAdmin.ClearPool(connectionString);
            }
        }
    }

    private async Task RunPgCtlStopAsync(string mode, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string[] arguments = { "stop", "-w", "-t", ((int)Math.Ceiling(timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture), "-D", DataDirectory, "-m", mode };
        var result = await CommandRunner
            .RunAsync(binaries.PgCtl, arguments, runAsUser, RootDirectory, timeout + TimeSpan.FromSeconds(10), cancellationToken)
            .ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            logger.LogDebug("{Command} exited with {ExitCode}: {Output}", result.Description, result.ExitCode, result.CombinedOutput);
        }
    }

    /// <summary>Synchronous last-chance cleanup from ProcessExit / Ctrl+C for a cluster that was never disposed.</summary>
    private void EmergencyCleanup()
    {
        var pid = postmasterPid ?? PostmasterProcess.ReadPid(DataDirectory);
        if (pid is int alivePid && PostmasterProcess.IsAlive(alivePid))
        {
            try
            {
                RunPgCtlStopAsync("immediate", TimeSpan.FromSeconds(5), CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (LocalPostgresException)
            {
                // Fall through to kill.
            }

            if (!PostmasterProcess.WaitForExitAsync(alivePid, TimeSpan.FromSeconds(3), CancellationToken.None).GetAwaiter().GetResult())
            {
                PostmasterProcess.Kill(alivePid);
            }
        }

        ScratchDirectory.Delete(RootDirectory);
    }

    private string ReadLog(long offset)
    {
        try
        {
            using FileStream stream = new(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.Seek(Math.Min(offset, stream.Length), SeekOrigin.Begin);
            using StreamReader reader = new(stream);
            return reader.ReadToEnd();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    private string LogTailDiagnostic()
    {
        var lines = ReadLog(0).Split('\n').Select(l => l.TrimEnd('\r'));
        var tail = string.Join(Environment.NewLine, lines.Reverse().SkipWhile(string.IsNullOrEmpty).Take(40).Reverse());
        return tail.Length == 0
            ? $"Server log {LogFile} is empty or missing."
            : $"Last lines of the server log {LogFile}:" + Environment.NewLine + tail;
    }
}
