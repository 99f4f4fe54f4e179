using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace AblyPgTyped.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium, headless, driven over the DevTools protocol (a WebSocket and JSON; no driver package): one page
/// to open, evaluate JavaScript in and screenshot. Fails, never skips, when Chromium is not installed.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const string InstallHint = "apt-get install -y chromium";

    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly SemaphoreSlim _sending = new(1, 1);
    private Task _receiving = Task.CompletedTask;
    private int _nextId;
    private string? _session;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>The browser executable: ABLYPG_CHROMIUM, else chromium (Debian), chromium-browser or google-chrome on PATH.</summary>
    public static string FindExecutable()
    {
        var configured = Environment.GetEnvironmentVariable("ABLYPG_CHROMIUM");
        if (!string.IsNullOrEmpty(configured))
        {
            Assert.True(File.Exists(configured), $"ABLYPG_CHROMIUM is {configured}, which does not exist.");
            return configured;
        }

        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Append("/usr/bin");
        foreach (var name in new[] { "chromium", "chromium-browser", "google-chrome" })
        {
            foreach (var dir in path)
            {
                var candidate = Path.Combine(dir, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        Assert.Fail($"Chromium was not found: the browser test opens the sample page in headless Chromium. Install it with '{InstallHint}' (Debian's package), or set ABLYPG_CHROMIUM to a Chromium or Chrome executable.");
        return null!;
    }

    public static async Task<HeadlessChromium> StartAsync(int width = 1000, int height = 700)
    {
        var profile = Directory.CreateTempSubdirectory("ablypg-chromium-").FullName;
        var start = new ProcessStartInfo(FindExecutable())
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--hide-scrollbars", "--remote-debugging-port=0", $"--user-data-dir={profile}", $"--window-size={width},{height}", "about:blank",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start Chromium");
        var browser = new HeadlessChromium(process, profile);
        try
        {
            var endpoint = await ReadDevToolsEndpointAsync(process);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await browser._socket.ConnectAsync(new Uri(endpoint), timeout.Token);
            browser._receiving = browser.ReceiveLoopAsync();
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    /// <summary>Opens <paramref name="url"/> in a new page; later calls act on that page.</summary>
    public async Task OpenAsync(string url)
    {
        var target = await SendAsync("Target.createTarget", new JsonObject { ["url"] = url });
        var attached = await SendAsync("Target.attachToTarget", new JsonObject { ["targetId"] = target.GetProperty("targetId").GetString(), ["flatten"] = true });
        _session = attached.GetProperty("sessionId").GetString();
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page and returns its value (JSON-serialisable), as JSON.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true }, _session);
        if (result.TryGetProperty("exceptionDetails", out var exception))
        {
            throw new InvalidOperationException("The page threw: " + exception.GetRawText());
        }

        return result.GetProperty("result").TryGetProperty("value", out var value) ? value.Clone() : default;
    }

    public async Task<byte[]> ScreenshotAsync()
    {
        var result = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" }, _session);
        return Convert.FromBase64String(result.GetProperty("data").GetString()!);
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        await _receiving;
        _socket.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // Chromium may still be writing its profile while it dies; the temp folder is the system's to clean.
        }
    }

    private static async Task<string> ReadDevToolsEndpointAsync(Process process)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var seen = new StringBuilder();
        while (await process.StandardError.ReadLineAsync(timeout.Token) is { } line)
        {
            seen.AppendLine(line);
            const string marker = "DevTools listening on ";
            var at = line.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                _ = process.StandardError.ReadToEndAsync(CancellationToken.None); // keep draining so Chromium never blocks
                _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                return line[(at + marker.Length)..].Trim();
            }
        }

        throw new InvalidOperationException("Chromium exited before opening its DevTools endpoint:\n" + seen);
    }

    private async Task<JsonElement> SendAsync(string method, JsonObject parameters, string? session = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var request = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
        if (session is not null)
        {
            request["sessionId"] = session;
        }

        var reply = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        await _sending.WaitAsync();
        try
        {
            await _socket.SendAsync(Encoding.UTF8.GetBytes(request.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
        }
        finally
        {
            _sending.Release();
        }

        return await reply.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new ArrayBufferWriter<byte>();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer.GetMemory(64 * 1024), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                buffer.Advance(result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                using (var message = JsonDocument.Parse(buffer.WrittenMemory))
                {
                    var root = message.RootElement;
                    if (root.TryGetProperty("id", out var id) && _pending.TryRemove(id.GetInt32(), out var reply))
                    {
                        if (root.TryGetProperty("error", out var error))
                        {
                            reply.TrySetException(new InvalidOperationException("DevTools error: " + error.GetRawText()));
                        }
                        else
                        {
                            reply.TrySetResult(root.GetProperty("result").Clone());
                        }
                    }
                }

                buffer.ResetWrittenCount();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The browser went away.
        }

        foreach (var reply in _pending.Values)
        {
            reply.TrySetException(new InvalidOperationException("Chromium closed its DevTools connection."));
        }
    }
}
