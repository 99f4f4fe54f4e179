using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped.Capture.Logical;

/// <summary>A pgoutput relation message: a table as the changes that follow it were made, in the historic catalog.</summary>
/// <param name="RelationId">The table's OID.</param>
/// <param name="Namespace">Its schema.</param>
/// <param name="Name">Its name.</param>
/// <param name="ReplicaIdentity"><c>d</c> default, <c>n</c> nothing, <c>f</c> full, <c>i</c> index.</param>
/// <param name="Columns">The published columns: name, type OID, and whether it is in the replica identity.</param>
internal sealed record RelationInfo(uint RelationId, string Namespace, string Name, char ReplicaIdentity, (string Name, uint TypeOid, bool IsKey)[] Columns);

/// <summary>One column a relation's changes are rendered with: where it is in the tuple, its JSON key, type and rendering.</summary>
internal readonly record struct OutputColumn(int Source, string Name, byte[] Key, PgType Type, ColumnCapture Capture);

/// <summary>How a relation's changes become capture JSON, worked out once per relation message.</summary>
internal sealed class RelationPlan
{
    /// <summary>The schema recorded with its changes: the mapping's (so a renamed table is still recognised), else the relation's.</summary>
    public required string Schema { get; init; }

    public required string Table { get; init; }

    public ChangeMapping? Mapping { get; init; }

    /// <summary>Why none of the relation's changes can be rendered as the mapping expects; they are dead-lettered with it.</summary>
    public string? Problem { get; init; }

    /// <summary>Why its updates and deletes cannot carry the old row the mapping expects; they are dead-lettered with it.</summary>
    public string? OldRowProblem { get; init; }

    /// <summary>The mapped columns, in the mapping's order (every column for whole-row mappings).</summary>
    public required OutputColumn[] Columns { get; init; }

    /// <summary>Every published column, as <c>to_json</c> renders a whole row; for dead letters.</summary>
    public required OutputColumn[] AllColumns { get; init; }

    /// <summary>Per published column: whether it is in the replica identity (the only columns a key-only old row has).</summary>
    public required bool[] IsKey { get; init; }
}

/// <summary>
/// Renders pgoutput changes into exactly the JSON the capture triggers record: a row object of the mapped columns for
/// inserts and deletes, <c>[old, new]</c> for updates. A change that cannot be rendered as the mapping expects (a
/// mapped column missing, an unchanged TOASTed value PostgreSQL did not send, …) becomes
/// <c>["capture could not read the row: reason", …what it has…]</c>, which the decoder dead-letters with the reason
/// and the row; a row over <see cref="CaptureSql.MaxRowBytes"/> becomes the triggers' note of its size.
/// </summary>
internal sealed class PgOutputRenderer(
    IReadOnlyDictionary<(string Schema, string Table), ChangeMapping> mappings,
    LogicalSetup setup,
    PgTypeCatalog types)
{
    private const string NotePrefix = "capture could not read the row: ";

    private readonly ByteBuilder _row = new(1024);
    private readonly ByteBuilder _oldRow = new(1024);

    /// <summary>Works out how the relation's changes are rendered, and what (if anything) is wrong with it.</summary>
    /// <returns>The plan, and a warning worth logging even when its changes are published (a type changed compatibly).</returns>
    public async Task<(RelationPlan Plan, string? Warning)> PlanAsync(RelationInfo relation, CancellationToken cancellationToken)
    {
        var count = relation.Columns.Length;
        var columnTypes = await types.GetAsync(relation.Columns.Select(c => c.TypeOid).ToArray(), cancellationToken);
        var all = new OutputColumn[count];
        var isKey = new bool[count];
        for (var i = 0; i < count; i++)
        {
            var column = relation.Columns[i];
            all[i] = new OutputColumn(i, column.Name, PgTypeCatalog.JsonKey(column.Name), columnTypes[i], ColumnCapture.Value);
            isKey[i] = column.IsKey;
        }

        var qualified = CaptureSql.QualifiedName(relation.Namespace, relation.Name);
        mappings.TryGetValue((relation.Namespace, relation.Name), out var mapping);
        setup.Tables.TryGetValue(relation.RelationId, out var installed);
        if (mapping is null && installed is not null && mappings.TryGetValue((installed.Schema, installed.Table), out var renamed))
        {
            var was = CaptureSql.QualifiedName(installed.Schema, installed.Table);
            return (new RelationPlan
            {
                Schema = installed.Schema,
                Table = installed.Table,
                Mapping = renamed,
                Columns = all,
                AllColumns = all,
                IsKey = isKey,
                Problem = $"table {was} (mapped by {renamed.MappedBy}) is now named {qualified}: rename it back, or map the new name",
            }, null);
        }

        if (mapping is null)
        {
            // No mapping: the decoder dead-letters these as it does rows captured for a table no longer mapped.
            return (new RelationPlan { Schema = relation.Namespace, Table = relation.Name, Columns = all, AllColumns = all, IsKey = isKey }, null);
        }

        var problems = new List<string>();
        var warnings = new List<string>();
        OutputColumn[] output;
        if (mapping.Capture.Columns is not { } captured)
        {
            output = all;
        }
        else
        {
            output = new OutputColumn[captured.Count];
            for (var m = 0; m < captured.Count; m++)
            {
                var name = captured[m].Name;
                var property = mapping.Columns?.FirstOrDefault(c => c.Name == name)?.Property ?? name;
                var source = Array.FindIndex(all, c => c.Name == name);
                if (source < 0)
                {
                    problems.Add($"column \"{name}\" of {qualified} (mapped by {mapping.MappedBy}.{property}) is not published: the table has no such column now (was it renamed or dropped?)");
                    continue;
                }

                var type = all[source].Type;
                output[m] = all[source] with { Capture = captured[m].Capture };
                if (captured[m].Capture == ColumnCapture.Base64 && type.BaseName != "bytea")
                {
                    problems.Add($"column \"{name}\" of {qualified} is {type.Name}, but {mapping.MappedBy}.{property} is byte[], which needs bytea");
                }
                else if (captured[m].Capture == ColumnCapture.EpochSeconds && type.BaseName is not ("interval" or "time"))
                {
                    problems.Add($"column \"{name}\" of {qualified} is {type.Name}, but {mapping.MappedBy}.{property} is TimeSpan, which needs interval");
                }
                else if (installed is not null && installed.ColumnTypes.TryGetValue(name, out var expectedOid) && expectedOid != type.Oid)
                {
                    var expected = (await types.GetAsync([expectedOid], cancellationToken))[0];
                    var change = $"column \"{name}\" of {qualified} (mapped by {mapping.MappedBy}.{property}) changed type from {expected.Name} to {type.Name}";
                    if (expected.Category != type.Category || (expected.Element?.Category ?? JsonCategory.Other) != (type.Element?.Category ?? JsonCategory.Other))
                    {
                        problems.Add(change + ", which renders differently: restart the connector to check the mapping against the new type");
                    }
                    else
                    {
                        warnings.Add(change + "; its values render alike, so its changes are still published");
                    }
                }
            }
        }

        string? oldRowProblem = null;
        if (mapping.ReplicaIdentity == ReplicaIdentity.Full && relation.ReplicaIdentity != 'f')
        {
            var identity = relation.ReplicaIdentity switch { 'd' => "DEFAULT", 'n' => "NOTHING", 'i' => "USING INDEX", _ => relation.ReplicaIdentity.ToString() };
            oldRowProblem = $"{qualified} has replica identity {identity}, but {mapping.MappedBy} asks for the whole old row " +
                            $"(ReplicaIdentity.Full): run ALTER TABLE {qualified} REPLICA IDENTITY FULL, or restart the connector, which sets it";
        }

        return (new RelationPlan
        {
            Schema = mapping.Schema,
            Table = mapping.TableName,
            Mapping = mapping,
            Columns = output,
            AllColumns = all,
            IsKey = isKey,
            Problem = problems.Count > 0 ? string.Join("; ", problems) : null,
            OldRowProblem = oldRowProblem,
        }, warnings.Count > 0 ? string.Join("; ", warnings) : null);
    }

    /// <summary>An insert: the new row.</summary>
    public void RenderInsert(RelationPlan plan, RawTuple row, ByteBuilder element)
    {
        if (plan.Problem is { } problem)
        {
            WriteNote(element, plan, problem, null, row);
            return;
        }

        if (!TryWriteRow(plan, row, null, keyOnly: false, _row, out var failure))
        {
            WriteNote(element, plan, failure, null, row);
            return;
        }

        WriteGuarded(element, _row);
    }

    /// <summary>
    /// An update: <c>[old, new]</c>. <paramref name="old"/> is the whole old row (replica identity full), the old key (a
    /// key-only identity whose key changed), or null (a key-only identity whose key did not change: <c>old</c> is null).
    /// </summary>
    public void RenderUpdate(RelationPlan plan, RawTuple? old, bool oldIsKey, RawTuple row, ByteBuilder element)
    {
        if ((plan.Problem ?? plan.OldRowProblem) is { } problem)
        {
            WriteNote(element, plan, problem, old, row);
            return;
        }

        _oldRow.Clear();
        if (old is not null && !TryWriteRow(plan, old, null, oldIsKey, _oldRow, out var oldFailure))
        {
            WriteNote(element, plan, oldFailure, old, row);
            return;
        }

        // Unchanged TOASTed values are not sent in the new row: they are the old row's, when it is whole.
        if (!TryWriteRow(plan, row, oldIsKey ? null : old, keyOnly: false, _row, out var failure))
        {
            WriteNote(element, plan, failure, old, row);
            return;
        }

        element.Append((byte)'[');
        if (old is null)
        {
            element.Append("null"u8);
        }
        else
        {
            WriteGuarded(element, _oldRow);
        }

        element.Append((byte)',');
        WriteGuarded(element, _row);
        element.Append((byte)']');
    }

    /// <summary>A delete: the old row, whole or (key-only identity) its key columns only.</summary>
    public void RenderDelete(RelationPlan plan, RawTuple old, bool oldIsKey, ByteBuilder element)
    {
        if ((plan.Problem ?? plan.OldRowProblem) is { } problem)
        {
            WriteNote(element, plan, problem, old, null);
            return;
        }

        if (!TryWriteRow(plan, old, null, oldIsKey, _row, out var failure))
        {
            WriteNote(element, plan, failure, old, null);
            return;
        }

        WriteGuarded(element, _row);
    }

    /// <summary>The row, or the triggers' note of its size when its JSON is larger than capture records.</summary>
    private static void WriteGuarded(ByteBuilder element, ByteBuilder row)
    {
        if (row.Length <= CaptureSql.MaxRowBytes)
        {
            element.Append(row.Span);
            return;
        }

        PgJson.WriteString(element, Encoding.UTF8.GetBytes(
            $"the row is {row.Length} bytes of JSON; capture records rows of up to {CaptureSql.MaxRowBytes} bytes"));
    }

    private bool TryWriteRow(RelationPlan plan, RawTuple row, RawTuple? fallback, bool keyOnly, ByteBuilder json, out string failure)
    {
        json.Clear();
        json.Append((byte)'{');
        var first = true;
        foreach (var column in plan.Columns)
        {
            if (keyOnly && !plan.IsKey[column.Source])
            {
                continue;
            }

            var source = row;
            if (row.Kind(column.Source) == RawKind.UnchangedToast)
            {
                if (fallback is null || fallback.Kind(column.Source) is RawKind.UnchangedToast)
                {
                    failure = $"column \"{column.Name}\" of {CaptureSql.QualifiedName(plan.Schema, plan.Table)} kept a large (TOASTed) value that this update did not change, " +
                              "and PostgreSQL logs such a value only with the whole old row: map the table with ReplicaIdentity = ReplicaIdentity.Full to publish such updates";
                    return false;
                }

                source = fallback;
            }

            if (source.Kind(column.Source) == RawKind.TooLarge)
            {
                failure = $"the row is more than {CaptureSql.MaxRowBytes} bytes of JSON (column \"{column.Name}\" alone is {source.Length(column.Source)} bytes); " +
                          $"capture records rows of up to {CaptureSql.MaxRowBytes} bytes";
                return false;
            }

            if (!first)
            {
                json.Append((byte)',');
            }

            first = false;
            json.Append(column.Key);
            if (source.Kind(column.Source) == RawKind.Null)
            {
                json.Append("null"u8);
                continue;
            }

            try
            {
                switch (column.Capture)
                {
                    case ColumnCapture.Base64:
                        PgJson.WriteBase64(json, source.Text(column.Source));
                        break;
                    case ColumnCapture.EpochSeconds:
                        PgJson.WriteEpochSeconds(json, source.Text(column.Source), column.Type, setup.ServerVersion);
                        break;
                    default:
                        PgJson.WriteValue(json, source.Text(column.Source), column.Type);
                        break;
                }
            }
            catch (Exception e) when (e is FormatException or OverflowException or IndexOutOfRangeException or ArgumentOutOfRangeException)
            {
                failure = $"the value of column \"{column.Name}\" ({column.Type.Name}) could not be rendered as JSON: {e.Message}";
                return false;
            }
        }

        json.Append((byte)'}');
        failure = "";
        return true;
    }

    /// <summary>
    /// <c>["capture could not read the row: reason", old, new]</c> (what is present of each, every published column as
    /// text where it cannot be rendered): the decoder dead-letters it with the reason, and the dead letter keeps the data.
    /// </summary>
    private void WriteNote(ByteBuilder element, RelationPlan plan, string reason, RawTuple? old, RawTuple? row)
    {
        element.Append((byte)'[');
        PgJson.WriteString(element, Encoding.UTF8.GetBytes(NotePrefix + reason));
        foreach (var tuple in new[] { old, row })
        {
            if (tuple is null)
            {
                continue;
            }

            element.Append((byte)',');
            _row.Clear();
            _row.Append((byte)'{');
            var first = true;
            foreach (var column in plan.AllColumns)
            {
                if (column.Source >= tuple.Count || tuple.Kind(column.Source) is RawKind.UnchangedToast or RawKind.TooLarge)
                {
                    continue;
                }

                if (!first)
                {
                    _row.Append((byte)',');
                }

                first = false;
                _row.Append(column.Key);
                if (tuple.Kind(column.Source) == RawKind.Null)
                {
                    _row.Append("null"u8);
                    continue;
                }

                var mark = _row.Length;
                try
                {
                    PgJson.WriteValue(_row, tuple.Text(column.Source), column.Type);
                }
                catch (Exception e) when (e is FormatException or OverflowException or IndexOutOfRangeException or ArgumentOutOfRangeException)
                {
                    _row.Truncate(mark);
                    PgJson.WriteString(_row, tuple.Text(column.Source));
                }
            }

            _row.Append((byte)'}');
            WriteGuarded(element, _row);
        }

        element.Append((byte)']');
    }
}
