using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AblyPgTyped;

/// <summary>
/// Turns received messages back into typed changes. Accepts a message's <c>data</c> (one change, or a bundle of
/// several), or a whole Ably message as JSON (as history, SSE or a webhook delivers it, with <c>"encoding":"json"</c>).
/// </summary>
public static class ChangeReader
{
    /// <summary>Reads the changes in a message's <c>data</c> JSON: one for a single change, several for a bundle.</summary>
    /// <exception cref="JsonException">The data is not a change message of <paramref name="table"/>; the message says why.</exception>
    public static IReadOnlyList<Change<T>> ReadData<T>(AblyTable<T> table, ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("A change message's data must be a JSON object.");
        }

        var changes = new List<Change<T>>();
        var copy = reader;
        if (IsBundle(ref copy))
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isChanges = reader.ValueTextEquals("changes"u8);
                reader.Read();
                if (!isChanges)
                {
                    reader.Skip();
                    continue;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    changes.Add(ReadOne(table, ref reader));
                }
            }
        }
        else
        {
            changes.Add(ReadOne(table, ref reader));
        }

        return changes;
    }

    /// <summary>Reads the changes in a message's <c>data</c> given as text.</summary>
    public static IReadOnlyList<Change<T>> ReadData<T>(AblyTable<T> table, string data) => ReadData(table, Encoding.UTF8.GetBytes(data));

    /// <summary>Reads the changes in a whole Ably message (<c>{"name","data","encoding",…}</c>), as history or SSE deliver it.</summary>
    public static IReadOnlyList<Change<T>> ReadMessage<T>(AblyTable<T> table, ReadOnlySpan<byte> message)
    {
        using var document = JsonDocument.Parse(message.ToArray());
        var root = document.RootElement;
        if (!root.TryGetProperty("data", out var data))
        {
            throw new JsonException("The Ably message has no data.");
        }

        return data.ValueKind switch
        {
            JsonValueKind.String => ReadData(table, data.GetString()!),
            JsonValueKind.Object => ReadData(table, Encoding.UTF8.GetBytes(data.GetRawText())),
            _ => throw new JsonException($"The Ably message's data is {data.ValueKind}, not a change."),
        };
    }

    private static bool IsBundle(ref Utf8JsonReader reader)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("changes"u8))
            {
                return true;
            }

            reader.Read();
            reader.Skip();
        }

        return false;
    }

    private static Change<T> ReadOne<T>(AblyTable<T> table, ref Utf8JsonReader reader)
    {
        string? schema = null, name = null, operation = null, position = null, capturedAt = null;
        T? newRow = default, oldRow = default;
        var moved = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var member = reader.GetString();
            reader.Read();
            switch (member)
            {
                case "schema": schema = reader.GetString(); break;
                case "table": name = reader.GetString(); break;
                case "operation": operation = reader.GetString(); break;
                case "position": position = reader.GetString(); break;
                case "capturedAt": capturedAt = reader.GetString(); break;
                case "new" when reader.TokenType == JsonTokenType.StartObject: newRow = table.Read(ref reader); break;
                case "old" when reader.TokenType == JsonTokenType.StartObject: oldRow = table.Read(ref reader); break;
                case "moved": moved = reader.TokenType == JsonTokenType.True; reader.Skip(); break;
                default: reader.Skip(); break;
            }
        }

        if (schema != table.Schema || name != table.Name)
        {
            throw new JsonException($"The change is for table {schema}.{name}, not {table.Schema}.{table.Name}.");
        }

        var kind = ChangeMessage.ParseKind(operation) ?? throw new JsonException($"'{operation}' is not an operation (insert, update, delete, snapshot).");
        return new Change<T>(
            kind,
            schema,
            name,
            position is null ? default : ChangePosition.Parse(position),
            capturedAt is null ? default : DateTimeOffset.Parse(capturedAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
            newRow,
            oldRow)
        {
            Moved = moved && kind == ChangeKind.Delete,
        };
    }
}
