using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Shared;

namespace AblyPgTyped.Tests.Infrastructure;

/// <summary>A connector in its own process (tests/AblyPgTyped.Tests.Host), so that it can be killed with SIGKILL.</summary>
public sealed class ConnectorProcess : IDisposable
{
    private readonly Process _process;
    private volatile string _state = "";

    private ConnectorProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is "ACTIVE" or "STANDBY")
            {
                _state = e.Data;
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool IsActive => _state == "ACTIVE";

    /// <summary>The process id, to read its memory use.</summary>
    public int Id => _process.Id;

    /// <summary>
    /// Starts a connector process in the harness's capture mode for the harness; <paramref name="settings"/> are the host's options: <c>name=value</c>
    /// (tables, bundle, compatible), or <c>backfill</c> to map the backfill test's table instead of users.
    /// </summary>
    public static ConnectorProcess Start(ConnectorHarness harness, params string[] settings)
    {
        var host = RepositoryPaths.BuiltProgram("tests/AblyPgTyped.Tests.Host", "AblyPgTyped.Tests.Host");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { host, harness.ConnectionString, harness.Ably.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), ConnectorHarness.ApiKey, "capture=" + harness.Capture }.Concat(settings))
        {
            start.ArgumentList.Add(argument);
        }

        return new ConnectorProcess(Process.Start(start)!);
    }

    public async Task WaitUntilActiveAsync(double seconds = 30)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        while (!IsActive)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The connector host exited with code {_process.ExitCode}.");
            }

            await Task.Delay(50, timeout.Token);
        }
    }

    /// <summary>
    /// The process's peak resident memory so far (VmHWM in /proc/PID/status), in bytes. The host runs in the process
    /// that <c>dotnet</c> started, so this is the connector's own peak.
    /// </summary>
    public long PeakResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException("No VmHWM line in /proc/" + _process.Id + "/status.");
    }

    /// <summary>SIGKILL: no cleanup, no goodbye to PostgreSQL or Ably.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }
}
