using System;
using System.Buffers.Text;

namespace AblyPgTyped.Capture.Logical;

/// <summary>
/// The capture store as the stream sees it. In logical-replication capture the only rows ever inserted into it are a
/// backfill's snapshot rows (op <c>'S'</c>), published for inserts only (<see cref="PublicationSql.InstallStore"/>), and
/// such a row already holds its snapshots rendered as the trigger drain reads them: it is handed on as it is, at its
/// place in the transaction's commit order.
/// </summary>
internal sealed class StoreRelation(int schema, int table, int op, int count, int data)
{
    /// <summary>The store's columns when <paramref name="relation"/> is the store of <paramref name="captureSchema"/>; null otherwise.</summary>
    public static StoreRelation? Of(RelationInfo relation, string captureSchema)
    {
        if (relation.Namespace != captureSchema || relation.Name != CaptureSql.ChangesTable)
        {
            return null;
        }

        var columns = Array.ConvertAll(relation.Columns, c => c.Name);
        var names = new[] { "table_schema", "table_name", "op", "n", "data" }.AsSpan();
        Span<int> found = stackalloc int[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            found[i] = Array.IndexOf(columns, names[i]);
            if (found[i] < 0)
            {
                return null; // not a store this version wrote: its rows are dead-lettered as an unmapped table's
            }
        }

        return new StoreRelation(found[0], found[1], found[2], found[3], found[4]);
    }

    /// <summary>A snapshot row's table, change count and JSON array; null for any other row (which only a trigger could have inserted).</summary>
    public (string Schema, string Table, int Count, byte[] Data)? Read(RawTuple row)
    {
        if (row.Kind(op) != RawKind.Text || !row.Text(op).SequenceEqual("S"u8) ||
            row.Kind(schema) != RawKind.Text || row.Kind(table) != RawKind.Text || row.Kind(data) != RawKind.Text ||
            row.Kind(count) != RawKind.Text || !Utf8Parser.TryParse(row.Text(count), out int changes, out _))
        {
            return null;
        }

        return (System.Text.Encoding.UTF8.GetString(row.Text(schema)), System.Text.Encoding.UTF8.GetString(row.Text(table)), changes, row.Text(data).ToArray());
    }
}
