using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Shared;
using Xunit;

namespace AblyPgTyped.Tests.Config;

/// <summary>
/// Reads channel history through the real ably-js REST client (tests/AblyPgTyped.LocalAbly.Tests/ablyjs/history.js).
/// Fails, never skips, when Node.js or npm is missing.
/// </summary>
public static class AblyJsHistory
{
    public sealed record Message(string Channel, string? Name, JsonElement Data, string DataType, string? Encoding);

    public static async Task<IReadOnlyList<Message>> ReadAsync(int port, string key, params string[] channels)
    {
        var (exitCode, output, error) = await AblyJs.RunScriptAsync("history.js", [port.ToString(System.Globalization.CultureInfo.InvariantCulture), key, .. channels]);
        Assert.True(exitCode == 0, "node history.js failed (exit " + exitCode + "):\n" + output + "\n" + error);
        var result = JsonDocument.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last()).RootElement;
        return result.GetProperty("messages").EnumerateArray()
            .Select(m => new Message(
                m.GetProperty("channel").GetString()!,
                m.GetProperty("name").GetString(),
                m.GetProperty("data").Clone(),
                m.GetProperty("dataType").GetString()!,
                m.GetProperty("encoding").GetString()))
            .ToList();
    }
}
