using System;
using System.Collections.Generic;
using System.Text.Json;
using AblyPgTyped.Capture;
using AblyPgTyped.Mapping;

namespace AblyPgTyped.Config;

/// <summary>
/// One entry of the original's <c>connector</c> list (<c>ABLY_CONNECTOR</c> in .env files):
/// <c>{"tablename": "users", "ablychannelname": "ably-users-added", "operation": "INSERT"}</c>.
/// </summary>
/// <param name="Table">A table in schema <c>public</c>, as named (case-sensitive; the capture SQL quotes it).</param>
/// <param name="Channel">The Ably channel that this operation's changes are published on.</param>
/// <param name="Operation">Insert, update or delete.</param>
/// <param name="Field">Where the entry is, for messages: <c>connector[1]</c>.</param>
internal sealed record ConnectorEntry(string Table, string Channel, ChangeKind Operation, string Field)
{
    /// <summary>The schema of every table of the original's configuration.</summary>
    public const string Schema = "public";

    private const string Example = "[{\"tablename\": \"users\", \"ablychannelname\": \"ably-users-added\", \"operation\": \"INSERT\"}]";

    /// <summary>Reads the list; <paramref name="field"/> is <c>connector</c> or <c>ABLY_CONNECTOR</c>.</summary>
    public static List<ConnectorEntry> ReadList(JsonElement list, ConfigSource source, string field)
    {
        if (list.ValueKind != JsonValueKind.Array)
        {
            throw source.Error(field, "must be an array of {\"tablename\", \"ablychannelname\", \"operation\"} objects, not " + JsonFields.Describe(list));
        }

        if (list.GetArrayLength() == 0)
        {
            throw source.Error(field, "is empty: map at least one table, e.g. " + Example);
        }

        var entries = new List<ConnectorEntry>();
        var index = 0;
        foreach (var element in list.EnumerateArray())
        {
            entries.Add(Read(element, source, JsonFields.Index(field, index++)));
        }

        return entries;
    }

    /// <summary>
    /// One mapping per table (in the order tables first appear) with a channel per operation. A table's operation
    /// may be mapped once: the original published it to one channel only.
    /// </summary>
    public static List<UntypedMapping> ToMappings(IReadOnlyList<ConnectorEntry> entries, ConfigSource source)
    {
        var tables = new List<string>();
        var channels = new Dictionary<string, ConnectorEntry?[]>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (!channels.TryGetValue(entry.Table, out var byKind))
            {
                channels[entry.Table] = byKind = new ConnectorEntry?[4];
                tables.Add(entry.Table);
            }

            if (byKind[(int)entry.Operation] is { } earlier)
            {
                throw source.Error(
                    entry.Field,
                    "maps " + OperationName(entry.Operation) + " of table " + entry.Table + " again (" + earlier.Field
                    + " already does): each operation of a table is published to one channel");
            }

            byKind[(int)entry.Operation] = entry;
        }

        return tables.ConvertAll(table =>
        {
            var byKind = channels[table];
            return new UntypedMapping(
                Schema, table, byKind[(int)ChangeKind.Insert]?.Channel, byKind[(int)ChangeKind.Update]?.Channel, byKind[(int)ChangeKind.Delete]?.Channel);
        });
    }

    public static string OperationName(ChangeKind kind) => kind.ToString().ToUpperInvariant();

    private static ConnectorEntry Read(JsonElement element, ConfigSource source, string field)
    {
        var fields = JsonFields.Of(element, field, source, "{\"tablename\", \"ablychannelname\", \"operation\"}");

        var table = fields.RequiredString("tablename", "the name of a table in schema public");
        if (ConfigRules.IdentifierProblem(table) is { } tableProblem)
        {
            throw source.Error(fields.Field("tablename"), tableProblem + ": give the name of a table in schema public");
        }

        if (table.Contains('.', StringComparison.Ordinal))
        {
            throw source.Error(fields.Field("tablename"), "\"" + table + "\" contains '.': give the table's name alone; the table must be in schema public");
        }

        var operationText = fields.RequiredString("operation", "INSERT, UPDATE or DELETE");
        var operation = operationText.Trim().ToUpperInvariant() switch
        {
            "INSERT" => ChangeKind.Insert,
            "UPDATE" => ChangeKind.Update,
            "DELETE" => ChangeKind.Delete,
            _ => throw source.Error(fields.Field("operation"), "\"" + operationText + "\" is not an operation: use INSERT, UPDATE or DELETE"),
        };

        var channelPurpose = "the Ably channel that " + OperationName(operation) + "s on " + table + " are published on";
        var channel = fields.RequiredString("ablychannelname", channelPurpose);
        if (ChannelNameRules.Problem(channel) is { } channelProblem)
        {
            throw source.Error(fields.Field("ablychannelname"), "\"" + channel + "\" is not a valid Ably channel name: " + channelProblem);
        }

        return new ConnectorEntry(table, channel, operation, field);
    }
}
