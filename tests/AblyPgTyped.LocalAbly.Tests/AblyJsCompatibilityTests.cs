using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace AblyPgTyped.LocalAbly.Tests;

/// <summary>Runs the real ably-js REST client (ablyjs/check.js) against the server. Requires Node.js and npm.</summary>
public sealed class AblyJsCompatibilityTests
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);
    private readonly ITestOutputHelper _output;

    public AblyJsCompatibilityTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task Ably_js_rest_client_publishes_batches_and_pages_history()
    {
        string folder = LocateAblyJsFolder();
        await EnsureNodeModulesAsync(folder);

        await using TestServer t = await TestServer.StartAsync();
        ProcessResult run = await RunAsync("node", folder, TimeSpan.FromSeconds(60), "check.js", t.Server.BaseAddress.ToString().TrimEnd('/'), TestServer.Key);
        _output.WriteLine(run.Output);
        _output.WriteLine(run.Error);
        Assert.True(run.ExitCode == 0, "ably-js check failed (exit " + run.ExitCode + "):\n" + run.Output + "\n" + run.Error);

        string lastLine = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
        JsonElement result = JsonDocument.Parse(lastLine).RootElement;
        Assert.True(result.GetProperty("ok").GetBoolean());
        Assert.Equal(new[] { 3, 3, 1 }, result.GetProperty("paging").GetProperty("forwards").GetProperty("sizes").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(40101, result.GetProperty("authError").GetProperty("code").GetInt32());
        Assert.Equal(2, result.GetProperty("batch").GetArrayLength());

        // What ably-js sent is what the server recorded.
        string channel = result.GetProperty("channel").GetString()!;
        var messages = t.Server.GetMessages(channel);
        Assert.Equal(new[] { "greeting", "object", "m1", "m2", "extras" }, messages.Select(m => m.Name));
        Assert.Equal("hello", messages[0].DataString);
        Assert.Equal("json", messages[1].Encoding);
        Assert.Equal("world", messages[1].DecodeDataAsJson()!.Value.GetProperty("hello").GetString());
        Assert.Matches("^[A-Za-z0-9+/]{12}:0$", messages[0].Id); // ably-js idempotent id
        Assert.Equal(1, t.Server.GetStats().DuplicateMessages);
    }

    private static string LocateAblyJsFolder()
    {
        // Prefer the source tree (node_modules is installed there once); fall back to the copy in the output folder.
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AblyPgTyped.sln")))
            {
                string candidate = Path.Combine(dir.FullName, "tests", "AblyPgTyped.LocalAbly.Tests", "ablyjs");
                if (File.Exists(Path.Combine(candidate, "package.json")))
                {
                    return candidate;
                }
            }
        }

        string copied = Path.Combine(AppContext.BaseDirectory, "ablyjs");
        Assert.True(File.Exists(Path.Combine(copied, "check.js")), "Cannot find the ablyjs test folder (looked for AblyPgTyped.sln above " + AppContext.BaseDirectory + " and in the output folder).");
        return copied;
    }

    private async Task EnsureNodeModulesAsync(string folder)
    {
        await InstallLock.WaitAsync();
        try
        {
            await RequireToolAsync("node");
            if (File.Exists(Path.Combine(folder, "node_modules", "ably", "package.json")))
            {
                return;
            }

            await RequireToolAsync("npm");
            string[] args = File.Exists(Path.Combine(folder, "package-lock.json"))
                ? new[] { "ci", "--no-audit", "--no-fund" }
                : new[] { "install", "--no-audit", "--no-fund" };
            ProcessResult install = await RunAsync("npm", folder, TimeSpan.FromMinutes(3), args);
            _output.WriteLine(install.Output);
            Assert.True(install.ExitCode == 0, "npm " + args[0] + " failed in " + folder + " (exit " + install.ExitCode + "):\n" + install.Output + "\n" + install.Error);
        }
        finally
        {
            InstallLock.Release();
        }
    }

    private static async Task RequireToolAsync(string tool)
    {
        try
        {
            ProcessResult version = await RunAsync(tool, Environment.CurrentDirectory, TimeSpan.FromSeconds(30), "--version");
            Assert.True(version.ExitCode == 0, tool + " --version failed: " + version.Error);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Assert.Fail("'" + tool + "' was not found on PATH (" + ex.Message + "). Install Node.js (18 or newer) and npm to run the ably-js compatibility test, e.g. 'apt-get install nodejs npm'.");
        }
    }

    private static async Task<ProcessResult> RunAsync(string fileName, string workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start " + fileName);
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail(fileName + " " + string.Join(' ', arguments) + " did not finish within " + timeout);
        }

        return new ProcessResult(process.ExitCode, await output, await error);
    }

    private sealed record ProcessResult(int ExitCode, string Output, string Error);
}
