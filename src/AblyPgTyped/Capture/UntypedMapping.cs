using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped.Capture;

/// <summary>
/// A table mapped without a C# type, as the Node.js original's configuration files map them: whole rows are
/// captured and published as JSON. No key is needed (the original's example table has none).
/// </summary>
internal sealed class UntypedMapping : ChangeMapping
{
    private readonly string?[] _channels = new string?[5];
    private readonly TableCapture _capture;

    public UntypedMapping(string schema, string table, string? insertChannel, string? updateChannel, string? deleteChannel)
    {
        Schema = schema;
        TableName = table;
        _channels[(int)ChangeKind.Insert] = insertChannel;
        _channels[(int)ChangeKind.Update] = updateChannel;
        _channels[(int)ChangeKind.Delete] = deleteChannel;
        _channels[(int)ChangeKind.Snapshot] = insertChannel;
        _capture = new TableCapture(schema, table, columns: null, insertChannel is not null, updateChannel is not null, deleteChannel is not null);
    }

    public override string Schema { get; }

    public override string TableName { get; }

    public override TableCapture Capture => _capture;

    public override IReadOnlyList<AblyColumn>? Columns => null;

    /// <summary>Whole old rows, as the original published them (and tables without a primary key need it to be published).</summary>
    public override ReplicaIdentity ReplicaIdentity => _capture.Update || _capture.Delete ? ReplicaIdentity.Full : ReplicaIdentity.Key;

    public override string RowType => "json";

    public override string? ChannelTemplate(ChangeKind kind) => _channels[(int)kind];

    public override DecodedChange Decode(ReadOnlySpan<byte> element, ChangeKind kind, ChangePosition position, DateTimeOffset capturedAt)
    {
        using var document = JsonDocument.Parse(element.ToArray());
        var root = document.RootElement;
        string? oldRow = null, newRow = null, namedChannel = null;
        switch (kind)
        {
            case ChangeKind.Insert:
                newRow = Object(root);
                break;
            case ChangeKind.Snapshot when root.ValueKind == JsonValueKind.Array:
                if (root.GetArrayLength() != 2 || root[0].ValueKind != JsonValueKind.String)
                {
                    throw new JsonException("A snapshot must be captured as a row or as [channel, row].");
                }

                namedChannel = root[0].GetString();
                newRow = Object(root[1]);
                break;
            case ChangeKind.Snapshot:
                newRow = Object(root);
                break;
            case ChangeKind.Delete:
                oldRow = Object(root);
                break;
            default:
                if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() != 2)
                {
                    throw new JsonException("An update must be captured as [old, new].");
                }

                oldRow = root[0].ValueKind == JsonValueKind.Null ? null : Object(root[0]);
                newRow = Object(root[1]);
                break;
        }

        return new Decoded(this, kind, position, capturedAt, oldRow, newRow, namedChannel);
    }

    public override string MappedBy => "the connector configuration";

    /// <summary>The row's JSON exactly as PostgreSQL rendered it, so compatible messages match the original byte for byte.</summary>
    private static string Object(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object ? element.GetRawText() : throw new JsonException($"A captured row must be a JSON object, not {element.ValueKind}.");

    /// <summary>A string as PostgreSQL's JSON functions quote it.</summary>
    private static string PostgresJsonString(string value)
    {
        var text = new StringBuilder("\"", value.Length + 2);
        foreach (var c in value)
        {
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\b' => "\\b",
                '\f' => "\\f",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < ' ' => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }

        return text.Append('"').ToString();
    }

    private sealed class Decoded(UntypedMapping mapping, ChangeKind kind, ChangePosition position, DateTimeOffset capturedAt, string? oldRow, string? newRow, string? namedChannel)
        : DecodedChange(mapping, kind, position, capturedAt, namedChannel ?? mapping._channels[(int)kind])
    {
        public override bool HasHandlers => false;

        public override void WriteData(Utf8JsonWriter writer)
        {
            ChangeEnvelopeWriter.WriteStart(writer, mapping.Schema, mapping.TableName, Kind, Position, CapturedAt);
            if (newRow is not null)
            {
                writer.WritePropertyName("new"u8);
                writer.WriteRawValue(newRow, skipInputValidation: true);
            }

            if (oldRow is not null)
            {
                writer.WritePropertyName("old"u8);
                writer.WriteRawValue(oldRow, skipInputValidation: true);
            }

            ChangeEnvelopeWriter.WriteEnd(writer);
        }

        /// <summary>
        /// What the original's trigger published: <c>json_build_object('table', TG_TABLE_NAME, 'type', TG_OP, 'row', …)::text</c>,
        /// spacing and all.
        /// </summary>
        public override void WriteCompatibleData(Utf8JsonWriter writer) =>
            writer.WriteRawValue(
                "{\"table\" : " + PostgresJsonString(mapping.TableName) + ", \"type\" : \"" + SnapshotElement.CompatibleType(Kind) +
                "\", \"row\" : " + (Kind == ChangeKind.Delete ? oldRow : newRow) + "}",
                skipInputValidation: true);

        public override Task InvokeHandlersAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
