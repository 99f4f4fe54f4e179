using System;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace AblyPgTyped.LocalAbly.Tests;

/// <summary>Runs the real ably-js Realtime client (ablyjs/realtime.js) against the WebSocket endpoint. Requires Node.js and npm.</summary>
public sealed class AblyJsRealtimeTests
{
    private readonly ITestOutputHelper _output;

    public AblyJsRealtimeTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task Ably_js_realtime_connects_rewinds_receives_publishes_resumes_and_closes()
    {
        await using var t = await TestServer.StartAsync();
        var run = await AblyJs.RunScriptAsync("realtime.js", t.Server.BaseAddress.ToString().TrimEnd('/'), TestServer.Key);
        _output.WriteLine(run.Output);
        _output.WriteLine(run.Error);
        Assert.True(run.ExitCode == 0, "ably-js realtime check failed (exit " + run.ExitCode + "):\n" + run.Output + "\n" + run.Error);

        var result = JsonDocument.Parse(run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last()).RootElement;
        Assert.True(result.GetProperty("attached").GetProperty("hasBacklog").GetBoolean());
        Assert.True(result.GetProperty("resume").GetProperty("sameConnection").GetBoolean());
        Assert.Contains("disconnected", result.GetProperty("resume").GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(40101, result.GetProperty("wrongKey").GetProperty("code").GetInt32());
        Assert.Contains("useBinaryProtocol: false", result.GetProperty("msgpack").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("token", result.GetProperty("tokenAuth").GetString());
        Assert.Single(result.GetProperty("publishResult").GetProperty("serials").EnumerateArray());

        // The realtime publish is stored like any other, with its connection.
        var connectionId = result.GetProperty("connectionId").GetString()!;
        var published = Assert.Single(t.Server.GetMessages(), m => m.Kind == PublishKind.Realtime);
        Assert.Equal(connectionId, published.ConnectionId);
    }
}
