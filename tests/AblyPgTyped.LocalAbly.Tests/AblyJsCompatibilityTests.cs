using System;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace AblyPgTyped.LocalAbly.Tests;

/// <summary>Runs the real ably-js REST client (ablyjs/check.js) against the server. Requires Node.js and npm.</summary>
public sealed class AblyJsCompatibilityTests
{
    private readonly ITestOutputHelper _output;

    public AblyJsCompatibilityTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task Ably_js_rest_client_publishes_batches_and_pages_history()
    {
        await using var t = await TestServer.StartAsync();
        var run = await AblyJs.RunScriptAsync("check.js", t.Server.BaseAddress.ToString().TrimEnd('/'), TestServer.Key);
        _output.WriteLine(run.Output);
        _output.WriteLine(run.Error);
        Assert.True(run.ExitCode == 0, "ably-js check failed (exit " + run.ExitCode + "):\n" + run.Output + "\n" + run.Error);

        var lastLine = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
        var result = JsonDocument.Parse(lastLine).RootElement;
        Assert.True(result.GetProperty("ok").GetBoolean());
        Assert.Equal(new[] { 3, 3, 1 }, result.GetProperty("paging").GetProperty("forwards").GetProperty("sizes").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(40101, result.GetProperty("authError").GetProperty("code").GetInt32());
        Assert.Equal(2, result.GetProperty("batch").GetArrayLength());

        // What ably-js sent is what the server recorded.
        var channel = result.GetProperty("channel").GetString()!;
        var messages = t.Server.GetMessages(channel);
        Assert.Equal(new[] { "greeting", "object", "m1", "m2", "extras" }, messages.Select(m => m.Name));
        Assert.Equal("hello", messages[0].DataString);
        Assert.Equal("json", messages[1].Encoding);
        Assert.Equal("world", messages[1].DecodeDataAsJson()!.Value.GetProperty("hello").GetString());
        Assert.Matches("^[A-Za-z0-9+/]{12}:0$", messages[0].Id); // ably-js idempotent id
        Assert.Equal(1, t.Server.GetStats().DuplicateMessages);
    }
}
