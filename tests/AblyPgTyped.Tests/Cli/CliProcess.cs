using System;
using System.Diagnostics;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Shared;
using Xunit;

namespace AblyPgTyped.Tests.Cli;

/// <summary>The built <c>ablypg</c> CLI (src/AblyPgTyped.Cli), run with <c>dotnet ablypg.dll</c> as a process of its own.</summary>
public sealed class CliProcess : IDisposable
{
    private static readonly string[] ConfigVariables =
    [
        "DB_HOST", "DB_PORT", "DB_USER", "DB_PASSWORD", "DB_NAME", "ABLY_API_KEY", "ABLY_CONNECTOR",
        "ABLY_REST_HOST", "ABLY_PORT", "ABLY_TLS_PORT", "ABLY_TLS", "ABLY_COMPATIBLE_MESSAGES", "ABLYPG_CAPTURE_SCHEMA",
    ];

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();
    private readonly TaskCompletionSource _outputClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _errorClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CliProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(_output, e.Data, _outputClosed);
        _process.ErrorDataReceived += (_, e) => Append(_error, e.Data, _errorClosed);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The built CLI, in this test run's configuration.</summary>
    public static string CliPath => RepositoryPaths.BuiltProgram("src/AblyPgTyped.Cli", "ablypg");

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public string Error
    {
        get
        {
            lock (_error)
            {
                return _error.ToString();
            }
        }
    }

    public int Id => _process.Id;

    /// <summary>Starts <c>dotnet ablypg.dll args</c> without the connector's environment variables.</summary>
    public static CliProcess Start(params string[] args) => Start(null, args);

    /// <summary>Starts <c>dotnet ablypg.dll args</c> with only <paramref name="environment"/> of the connector's environment variables.</summary>
    public static CliProcess Start(System.Collections.Generic.IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(CliPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in ConfigVariables)
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new System.Collections.Generic.Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return new CliProcess(Process.Start(start)!);
    }

    /// <summary>Runs to completion; returns the exit code.</summary>
    public static async Task<CliProcess> RunAsync(params string[] args)
    {
        var cli = Start(args);
        await cli.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return cli;
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            await Task.WhenAll(_outputClosed.Task, _errorClosed.Task).WaitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"ablypg did not exit within {timeout}.\nstdout:\n{Output}\nstderr:\n{Error}");
        }

        return _process.ExitCode;
    }

    public int ExitCode => _process.ExitCode;

    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited)
            {
                await WaitForExitAsync(TimeSpan.FromSeconds(5));
                Assert.Fail($"ablypg exited with code {_process.ExitCode} before printing '{text}'.\nstdout:\n{Output}\nstderr:\n{Error}");
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"ablypg did not print '{text}' within {timeout}.\nstdout:\n{Output}\nstderr:\n{Error}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Sends SIGTERM with <c>kill -TERM &lt;pid&gt;</c>, as a service manager or <c>docker stop</c> would.</summary>
    public async Task TerminateAsync()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private static void Append(StringBuilder builder, string? line, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }

        lock (builder)
        {
            builder.Append(line).Append('\n');
        }
    }
}
