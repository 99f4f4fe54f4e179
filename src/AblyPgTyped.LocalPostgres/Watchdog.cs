using System;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using Microsoft.Extensions.Logging;

namespace AblyPgTyped.LocalPostgres;

/// <summary>
/// A detached shell loop that outlives this process: once this process is gone (e.g. killed, so no
/// exit handler runs) it stops the postmaster of <c>DIR/data</c> and deletes <c>DIR</c>. It exits on
/// its own within a second of <c>DIR</c> being deleted normally. Returns whether it started.
/// </summary>
internal static class Watchdog
{
    // Arguments arrive as $1/$2, never spliced into the script text.
    private const string Script = """
        exec </dev/null >/dev/null 2>&1
        owner="$1"; dir="$2"
        alive() { s=$(sed -n 's/.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null); [ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]; }
        while alive "$owner" && [ -d "$dir" ]; do sleep 1; done
        [ -d "$dir" ] || exit 0
        pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null)
        if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ]; then
          kill -QUIT "$pid"
          i=0
          while [ $i -lt 40 ] && alive "$pid"; do sleep 0.25; i=$((i+1)); done
          alive "$pid" && kill -KILL "$pid"
        fi
        rm -rf "$dir"
        """;

    public static bool Start(string directory, ILogger logger, int? ownerProcessId = null)
    {
        if (!Directory.Exists("/proc/self"))
        {
            return false; // The script relies on /proc (Linux).
        }

        ProcessStartInfo startInfo = new() { UseShellExecute = false, CreateNoWindow = true };

        // setsid --fork re-parents the loop away from us, so killing our process tree does not kill it.
        var setsid = File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : File.Exists("/bin/setsid") ? "/bin/setsid" : null;
        if (setsid is not null)
        {
            startInfo.FileName = setsid;
            startInfo.ArgumentList.Add("--fork");
            startInfo.ArgumentList.Add("/bin/sh");
        }
        else
        {
            startInfo.FileName = "/bin/sh";
        }

        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add(Script);
        startInfo.ArgumentList.Add("ablypg-watchdog");
        startInfo.ArgumentList.Add((ownerProcessId ?? Environment.ProcessId).ToString(CultureInfo.InvariantCulture));
        startInfo.ArgumentList.Add(directory);

        try
        {
            using var process = Process.Start(startInfo)!;
            if (setsid is not null)
            {
                process.WaitForExit(5000);
            }

            return true;
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            logger.LogWarning(ex, "Could not start the cleanup watchdog for {Directory}; relying on exit handlers only", directory);
            return false;
        }
    }
}
