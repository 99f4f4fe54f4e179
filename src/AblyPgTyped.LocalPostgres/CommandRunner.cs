using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped.LocalPostgres;

/// <summary>Output of a finished command.</summary>
internal sealed record CommandResult(string Description, int ExitCode, string StandardOutput, string StandardError)
{
    public string CombinedOutput => (StandardOutput + Environment.NewLine + StandardError).Trim();
}

/// <summary>Runs external programs with an argument list (never a shell string), optionally as another OS user.</summary>
internal static class CommandRunner
{
    /// <summary>Runs <paramref name="fileName"/> and returns its result; throws only if it cannot start or times out.</summary>
    public static async Task<CommandResult> RunAsync(
        string fileName,
        IReadOnlyList<string> arguments,
        string? runAsUser,
        string? workingDirectory,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var startInfo = CreateStartInfo(fileName, arguments, runAsUser, workingDirectory);
        var description = Describe(startInfo);

        using Process process = new() { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            throw new LocalPostgresException($"Could not start `{description}`: {ex.Message}", ex);
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(timeoutSource.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            TryKill(process);
            cancellationToken.ThrowIfCancellationRequested();
            throw new LocalPostgresException($"`{description}` did not finish within {timeout.TotalSeconds:0} s and was killed.");
        }

        return new CommandResult(description, process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    /// <summary>Like <see cref="RunAsync"/> but throws <see cref="LocalPostgresException"/> on a non-zero exit code.</summary>
    public static async Task<CommandResult> RunCheckedAsync(
        string fileName,
        IReadOnlyList<string> arguments,
        string? runAsUser,
        string? workingDirectory,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        Func<string>? extraDiagnostics = null)
    {
        var result = await RunAsync(fileName, arguments, runAsUser, workingDirectory, timeout, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new LocalPostgresException(FailureMessage(result, extraDiagnostics?.Invoke()));
        }

        return result;
    }

    public static string FailureMessage(CommandResult result, string? extraDiagnostics)
    {
        var message = $"`{result.Description}` failed with exit code {result.ExitCode}.";
        if (result.CombinedOutput.Length > 0)
        {
            message += Environment.NewLine + "Output:" + Environment.NewLine + result.CombinedOutput;
        }

        if (!string.IsNullOrEmpty(extraDiagnostics))
        {
            message += Environment.NewLine + extraDiagnostics;
        }

        if (result.CombinedOutput.Contains("runuser", StringComparison.Ordinal) || result.CombinedOutput.Contains("invalid user", StringComparison.Ordinal))
        {
            message += Environment.NewLine + "Hint: as root, PostgreSQL runs as a separate OS user (LocalPostgresOptions.OsUser, default 'postgres'; the Debian package `postgresql` creates it).";
        }

        return message;
    }

    private static ProcessStartInfo CreateStartInfo(string fileName, IReadOnlyList<string> arguments, string? runAsUser, string? workingDirectory)
    {
        ProcessStartInfo startInfo = new()
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };

        if (runAsUser is null)
        {
            startInfo.FileName = fileName;
        }
        else
        {
            // initdb and postgres refuse to run as root.
            startInfo.FileName = FindRunuser();
            startInfo.ArgumentList.Add("-u");
            startInfo.ArgumentList.Add(runAsUser);
            startInfo.ArgumentList.Add("--");
            startInfo.ArgumentList.Add(fileName);
        }

        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        if (workingDirectory is not null)
        {
            // initdb/pg_ctl fail with "could not identify current directory" if the cwd is unreadable for the OS user.
            startInfo.WorkingDirectory = workingDirectory;
        }

        // A stray PGPORT/PGDATA/PGHOST in the caller's environment must not redirect the tools.
        foreach (var key in startInfo.Environment.Keys.Where(k => k.StartsWith("PG", StringComparison.Ordinal)).ToList())
        {
            startInfo.Environment.Remove(key);
        }

        startInfo.Environment["LC_ALL"] = "C";
        return startInfo;
    }

    private static string FindRunuser()
    {
        foreach (var candidate in new[] { "/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser" })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return "runuser";
    }

    private static string Describe(ProcessStartInfo startInfo)
    {
        var parts = new[] { startInfo.FileName }.Concat(startInfo.ArgumentList);
        return string.Join(' ', parts.Select(p => p.Length == 0 || p.Any(char.IsWhiteSpace) ? "'" + p + "'" : p));
    }

    private static void TryKill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already gone.
        }
    }
}
