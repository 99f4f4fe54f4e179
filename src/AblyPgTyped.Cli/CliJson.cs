using System;
using System.Buffers;
using System.Text;
using System.Text.Json;

namespace AblyPgTyped.Cli;

/// <summary>The JSON outputs' writing: indented, UTC times, and null written out rather than left out.</summary>
internal static class CliJson
{
    public static string Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            write(json);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static void WriteTime(this Utf8JsonWriter json, string name, DateTimeOffset time) => json.WriteString(name, time.ToUniversalTime());

    public static void WriteStringOrNull(this Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    public static void WriteNumberOrNull(this Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    public static void WriteTimeOrNull(this Utf8JsonWriter json, string name, DateTimeOffset? value)
    {
        if (value is { } time)
        {
            json.WriteTime(name, time);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
