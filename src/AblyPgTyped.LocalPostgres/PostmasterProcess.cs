using System;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped.LocalPostgres;

/// <summary>Inspects the postmaster by pid (it is detached by pg_ctl, so there is no Process handle of our own).</summary>
internal static class PostmasterProcess
{
    /// <summary>Reads the pid from <c>postmaster.pid</c>, or null if the file is absent or unreadable.</summary>
    public static int? ReadPid(string dataDirectory)
    {
        try
        {
            var path = Path.Combine(dataDirectory, "postmaster.pid");
            if (!File.Exists(path))
            {
                return null;
            }

            using StreamReader reader = new(path);
            var firstLine = reader.ReadLine();
            return int.TryParse(firstLine?.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>True if the process exists and is not a zombie (PID 1 in containers may never reap it).</summary>
    public static bool IsAlive(int pid)
    {
        var statPath = $"/proc/{pid}/stat";
        if (Directory.Exists("/proc/self"))
        {
            try
            {
                var stat = File.ReadAllText(statPath);
                var close = stat.LastIndexOf(')');
                var state = close >= 0 && close + 2 < stat.Length ? stat[close + 2] : '?';
                return state is not ('Z' or 'X' or 'x');
            }
            catch (IOException)
            {
                return false;
            }
            catch (UnauthorizedAccessException)
            {
                return true;
            }
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Polls until the process is gone or the timeout elapses.</summary>
    public static async Task<bool> WaitForExitAsync(int pid, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        while (IsAlive(pid))
        {
            if (stopwatch.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Last resort: SIGKILL the postmaster and its children.</summary>
    public static void Kill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            if (!process.ProcessName.StartsWith("postgres", StringComparison.Ordinal))
            {
                return; // The pid was reused by something else.
            }

            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already gone.
        }
    }
}
