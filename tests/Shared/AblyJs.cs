using System;
using System.ComponentModel;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace AblyPgTyped.Tests.Shared;

/// <summary>
/// Runs scripts of tests/AblyPgTyped.LocalAbly.Tests/ablyjs with Node.js, against the real ably-js client.
/// Fails, never skips, when Node.js or npm is missing.
/// </summary>
internal static class AblyJs
{
    public static string Folder { get; } = RepositoryPaths.Combine("tests", "AblyPgTyped.LocalAbly.Tests", "ablyjs");

    /// <summary>Runs <c>node script arguments…</c> in the ablyjs folder, installing ably-js first if needed.</summary>
    public static async Task<ProcessResult> RunScriptAsync(string script, params string[] arguments)
    {
        await EnsureInstalledAsync();
        return await RunAsync("node", Folder, TimeSpan.FromSeconds(60), [script, .. arguments]);
    }

    /// <summary>
    /// Starts <c>node script arguments…</c> in the ablyjs folder and leaves it running: its stdout lines stream in as
    /// they are printed, and lines can be written to its stdin.
    /// </summary>
    public static async Task<NodeScript> StartScriptAsync(string script, params string[] arguments)
    {
        await EnsureInstalledAsync();
        return NodeScript.Start(Folder, [script, .. arguments]);
    }

    /// <summary>Installs the npm packages of <paramref name="folder"/> (npm ci) once, guarded across test processes.</summary>
    public static async Task EnsureInstalledAsync(string folder, string markerFile)
    {
        await RequireToolAsync("node");
        using var installing = await LockAsync(Path.Combine(folder, ".install.lock"));
        if (File.Exists(Path.Combine(folder, markerFile)))
        {
            return;
        }

        await RequireToolAsync("npm");
        var install = await RunAsync("npm", folder, TimeSpan.FromMinutes(3), ["ci", "--no-audit", "--no-fund"]);
        Assert.True(install.ExitCode == 0, $"npm ci failed in {folder} (exit {install.ExitCode}):\n{install.Output}\n{install.Error}");
    }

    /// <summary>
    /// Installs node_modules once. Test projects run in parallel processes, so the guard is a lock file that only
    /// one process can hold, not an in-process lock.
    /// </summary>
    private static Task EnsureInstalledAsync() => EnsureInstalledAsync(Folder, Path.Combine("node_modules", "ably", "package.json"));

    private static async Task<FileStream> LockAsync(string path)
    {
        var deadline = DateTime.UtcNow.AddMinutes(4);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    private static async Task RequireToolAsync(string tool)
    {
        try
        {
            var version = await RunAsync(tool, Folder, TimeSpan.FromSeconds(30), ["--version"]);
            Assert.True(version.ExitCode == 0, $"{tool} --version failed: {version.Error}");
        }
        catch (Win32Exception e)
        {
            Assert.Fail($"'{tool}' was not found on PATH ({e.Message}). The compatibility tests run the real ably-js client: "
                + "install Node.js 18 or newer and npm, e.g. 'apt-get install -y nodejs npm'.");
        }
    }

    private static async Task<ProcessResult> RunAsync(string fileName, string workingDirectory, TimeSpan timeout, string[] arguments)
    {
        var start = new ProcessStartInfo(fileName) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + fileName);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{fileName} {string.Join(' ', arguments)} did not finish within {timeout}");
        }

        return new ProcessResult(process.ExitCode, await output, await error);
    }
}

internal sealed record ProcessResult(int ExitCode, string Output, string Error);

/// <summary>A running Node.js script: stdout lines as they come, stdin for commands. Disposing kills it.</summary>
internal sealed class NodeScript : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Threading.Channels.Channel<string> _lines = System.Threading.Channels.Channel.CreateUnbounded<string>();
    private readonly System.Text.StringBuilder _error = new();
    private readonly Task _reading;

    private NodeScript(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_error)
                {
                    _error.AppendLine(e.Data);
                }
            }
        };
        _process.BeginErrorReadLine();
        _reading = Task.Run(async () =>
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                _lines.Writer.TryWrite(line);
            }

            _lines.Writer.TryComplete();
        });
    }

    /// <summary>What the script wrote to stderr so far.</summary>
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

    public static NodeScript Start(string folder, string[] arguments)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return new NodeScript(Process.Start(start) ?? throw new InvalidOperationException("Could not start node"));
    }

    /// <summary>The next stdout line, or null when the script ended.</summary>
    public async Task<string?> ReadLineAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            return await _lines.Reader.ReadAsync(cancel.Token);
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            return null;
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"node printed nothing within {timeout}; stderr:\n{Error}");
        }
    }

    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        await _reading;
        _process.Dispose();
    }
}
