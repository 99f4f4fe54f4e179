using System.Collections.Generic;
using System.Text;
using AblyPgTyped.Capture;
using static AblyPgTyped.Cli.HumanUnits;

namespace AblyPgTyped.Cli.DeadLetters;

/// <summary>
/// <c>ablypg dead-letters list</c>, as text for a person (data shortened) or as JSON (documented in docs/operations.md,
/// stable within its <c>format</c> number; <c>data</c> is the captured change itself).
/// </summary>
internal static class DeadLetterListing
{
    /// <summary>How much of each letter's data the text shows.</summary>
    public const int TextDataCharacters = 300;

    public static string Text(string captureSchema, long total, IReadOnlyList<DeadLetter> letters)
    {
        var text = new StringBuilder();
        var schema = CaptureSql.QuoteIdentifier(captureSchema);
        if (total == 0)
        {
            return "No dead letters" + " in " + schema + ".\n";
        }

        text.Append(Count(total)).Append(" dead letter(s) in ").Append(schema)
            .Append(letters.Count < total ? ", the first " + Count(letters.Count) + " in position order (--limit N for more)" : ", in position order")
            .Append(":\n");
        foreach (var letter in letters)
        {
            text.Append('\n').Append(letter.Id).Append("  ").Append(letter.Schema).Append('.').Append(letter.Table).Append(' ').Append(letter.Operation)
                .Append(" at position ").Append(letter.Position).Append(", failed ").Append(Time(letter.FailedAt))
                .Append(letter.Channel is { } channel ? ", channel " + channel : "").Append('\n')
                .Append("    ").Append(DeadLetterKinds.Describe(letter.Kind)).Append(": ").Append(letter.Reason.ReplaceLineEndings(" ")).Append('\n');
            if (letter.Data is { } data)
            {
                text.Append("    data: ").Append(data.ReplaceLineEndings(" "))
                    .Append(letter.DataBytes > data.Length ? "… (" + Size(letter.DataBytes) + ")" : "").Append('\n');
            }

            if (!letter.Replayable)
            {
                text.Append("    cannot be replayed: capture never recorded the row; publish its current state with `ablypg backfill`\n");
            }
        }

        return text.ToString();
    }

    public static string Json(string captureSchema, long total, IReadOnlyList<DeadLetter> letters) => CliJson.Write(json =>
    {
        json.WriteStartObject();
        json.WriteNumber("format", 1);
        json.WriteString("captureSchema", captureSchema);
        json.WriteNumber("total", total);
        json.WriteStartArray("deadLetters");
        foreach (var letter in letters)
        {
            json.WriteStartObject();
            json.WriteNumber("id", letter.Id);
            json.WriteString("position", letter.Position);
            json.WriteString("schema", letter.Schema);
            json.WriteString("table", letter.Table);
            json.WriteString("operation", letter.Operation);
            json.WriteStringOrNull("channel", letter.Channel);
            json.WriteString("kind", letter.Kind);
            json.WriteString("reason", letter.Reason);
            json.WriteTime("failedAt", letter.FailedAt);
            json.WriteBoolean("replayable", letter.Replayable);
            json.WritePropertyName("data");
            if (letter.Data is { } data)
            {
                // PostgreSQL's json type holds only valid JSON, and a poison value may be nested deeper than a check would allow.
                json.WriteRawValue(data, skipInputValidation: true);
            }
            else
            {
                json.WriteNullValue();
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    });
}
