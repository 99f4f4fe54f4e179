using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped.Benchmarks.Infrastructure;

/// <summary>
/// A connector in a process of its own: this program re-run in the <c>connector-process</c> role, so that its
/// memory (VmHWM) and start-up are the connector's alone. Stopped by a line on its standard input.
/// </summary>
internal sealed class ConnectorChild : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<long> _active = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ConnectorChild(Process process, long startedTimestamp)
    {
        _process = process;
        StartedTimestamp = startedTimestamp;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data == ConnectorProcessRole.ActiveLine)
            {
                _active.TrySetResult(Stopwatch.GetTimestamp());
            }
            else if (e.Data?.StartsWith(ConnectorProcessRole.GcLine + " ", StringComparison.Ordinal) == true)
            {
                RuntimeStats = e.Data[(ConnectorProcessRole.GcLine.Length + 1)..];
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (!string.IsNullOrEmpty(e.Data))
            {
                Console.Error.WriteLine("[connector] " + e.Data);
            }
        };
        _process.Exited += (_, _) => _active.TrySetException(new InvalidOperationException($"The connector process exited with code {_process.ExitCode} before it became active."));
        _process.EnableRaisingEvents = true;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary><see cref="Stopwatch"/> timestamp taken just before the process was started.</summary>
    public long StartedTimestamp { get; }

    public int ProcessId => _process.Id;

    /// <summary>What the connector process reported about its GC and JIT when it stopped.</summary>
    public string? RuntimeStats { get; private set; }

    /// <summary>What is run: the apphost next to this assembly when there is one, as a deployed service would be.</summary>
    public static string Launcher => File.Exists(AppHost) ? Path.GetFileName(AppHost) + " (apphost)" : "dotnet " + Path.GetFileName(OwnAssembly);

    private static string OwnAssembly => typeof(ConnectorChild).Assembly.Location;

    private static string AppHost => Path.ChangeExtension(OwnAssembly, null);

    /// <summary>
    /// Starts the connector process, publishing to <paramref name="endpoint"/> and pacing itself to the endpoint's plan,
    /// capturing in <paramref name="capture"/> mode; <paramref name="environment"/> adds runtime settings for it alone.
    /// </summary>
    public static ConnectorChild Start(
        string connectionString, BenchEndpoint endpoint, IReadOnlyDictionary<string, string>? environment = null, CaptureMode capture = CaptureMode.Triggers)
    {
        var start = File.Exists(AppHost) ? new ProcessStartInfo(AppHost) : new ProcessStartInfo("dotnet") { ArgumentList = { OwnAssembly } };
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;

        // The connector runs as a console app does by default (workstation GC), whatever this process uses.
        start.Environment["DOTNET_gcServer"] = "0";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        foreach (var argument in new[]
        {
            ConnectorProcessRole.Role, connectionString, endpoint.Host, endpoint.Port.ToString(CultureInfo.InvariantCulture), endpoint.ApiKey,
            endpoint.Plan.ConnectorPlan.ToString(), endpoint.Plan.MaxChangesPerMessage.ToString(CultureInfo.InvariantCulture), capture.ToString(),
        })
        {
            start.ArgumentList.Add(argument);
        }

        var started = Stopwatch.GetTimestamp();
        return new ConnectorChild(Process.Start(start)!, started);
    }

    /// <summary>Waits until the connector reports that it is the active one; returns the <see cref="Stopwatch"/> time it said so.</summary>
    public async Task<long> WaitActiveAsync(TimeSpan timeout) => await _active.Task.WaitAsync(timeout);

    /// <summary>Peak resident set size (VmHWM) so far, in bytes.</summary>
    public long PeakRssBytes() => ReadStatus("VmHWM:");

    /// <summary>Resident set size (VmRSS) now, in bytes.</summary>
    public long RssBytes() => ReadStatus("VmRSS:");

    /// <summary>Asks the connector to stop (it finishes or abandons its cycle, as <c>StopAsync</c> does) and waits for the process to end.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        try
        {
            await _process.StandardInput.WriteLineAsync(ConnectorProcessRole.StopLine);
            await _process.StandardInput.FlushAsync();
        }
        catch (IOException)
        {
            // Already gone.
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            _process.WaitForExit(); // and the end of its output
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }

    private long ReadStatus(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                // "VmHWM:	  123456 kB"
                var value = line.AsSpan(field.Length).Trim();
                return long.Parse(value[..value.IndexOf(' ')], CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"/proc/{_process.Id}/status has no {field}");
    }
}
