using System;
using System.Diagnostics;
using System.IO;
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

    /// <summary>A connector for the harness's database and endpoint, in the harness's capture mode.</summary>
    /// <param name="harness">The database and endpoint.</param>
    /// <param name="maxChangesPerMessage">Bundling; null keeps the default.</param>
    /// <param name="plan">The Ably plan it paces to; null keeps the default.</param>
    public static ConnectorProcess Start(ConnectorHarness harness, int? maxChangesPerMessage = null, string? plan = null)
    {
        var host = RepositoryPaths.BuiltProgram("tests/AblyPgTyped.Tests.Host", "AblyPgTyped.Tests.Host");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { host, harness.ConnectionString, harness.Ably.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), ConnectorHarness.ApiKey, harness.Capture.ToString() })
        {
            start.ArgumentList.Add(argument);
        }

        if (maxChangesPerMessage is not null || plan is not null)
        {
            start.ArgumentList.Add((maxChangesPerMessage ?? 500).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (plan is not null)
        {
            start.ArgumentList.Add(plan);
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
