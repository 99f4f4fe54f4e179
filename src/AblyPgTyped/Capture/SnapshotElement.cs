using System.Text.Json;

namespace AblyPgTyped.Capture;

/// <summary>
/// How a backfill records one row in a snapshot store row (op <c>'S'</c>): the row object, rendered exactly as the
/// insert trigger renders it, or <c>[channel, row]</c> when the backfill names the channel to publish on.
/// </summary>
internal static class SnapshotElement
{
    /// <summary>
    /// Reads the channel of a <c>[channel, row]</c> element and leaves the reader on the row's start; for a plain row
    /// object it returns null and leaves the reader where it is.
    /// </summary>
    public static string? ReadChannel(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return null;
        }

        if (!reader.Read() || reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException("A snapshot must be captured as a row or as [channel, row].");
        }

        var channel = reader.GetString();
        reader.Read();
        return channel;
    }

    /// <summary>
    /// The <c>type</c> of the original's message shape: it knew only INSERT, UPDATE and DELETE, and a snapshot is, to
    /// its subscribers, a row that exists: an INSERT.
    /// </summary>
    public static string CompatibleType(ChangeKind kind) =>
        (kind == ChangeKind.Snapshot ? ChangeKind.Insert : kind).ToString().ToUpperInvariant();
}
