using System;
using System.Threading;
using System.Threading.Tasks;
using Npgsql.Replication.PgOutput;

namespace AblyPgTyped.Capture.Logical;

/// <summary>What a tuple column held: its text, NULL, an unchanged TOASTed value PostgreSQL did not send, or a value too large to capture.</summary>
internal enum RawKind : byte
{
    Null,
    Text,
    UnchangedToast,
    TooLarge,
}

/// <summary>
/// One pgoutput tuple, copied out of the replication stream (whose buffer moves on with the next message), so that an
/// update's new row can take unchanged TOASTed values from its old row. The buffers are reused from row to row.
/// </summary>
internal sealed class RawTuple
{
    private byte[] _bytes = new byte[1024];
    private RawKind[] _kinds = new RawKind[16];
    private int[] _starts = new int[16];
    private int[] _lengths = new int[16];

    public int Count { get; private set; }

    public RawKind Kind(int column) => _kinds[column];

    public ReadOnlySpan<byte> Text(int column) => _bytes.AsSpan(_starts[column], _lengths[column]);

    /// <summary>The length of the value's text as PostgreSQL sent it (for a <see cref="RawKind.TooLarge"/> value, not kept).</summary>
    public int Length(int column) => _lengths[column];

    /// <summary>Reads every column; a text value longer than <paramref name="maxValueBytes"/> is skipped and marked too large.</summary>
    public async ValueTask ReadAsync(ReplicationTuple tuple, int maxValueBytes, CancellationToken cancellationToken)
    {
        Count = 0;
        var used = 0;
        await foreach (var value in tuple.WithCancellation(cancellationToken))
        {
            if (Count == _kinds.Length)
            {
                Array.Resize(ref _kinds, Count * 2);
                Array.Resize(ref _starts, Count * 2);
                Array.Resize(ref _lengths, Count * 2);
            }

            var i = Count++;
            _starts[i] = used;
            _lengths[i] = 0;
            switch (value.Kind)
            {
                case TupleDataKind.Null:
                    _kinds[i] = RawKind.Null;
                    break;
                case TupleDataKind.UnchangedToastedValue:
                    _kinds[i] = RawKind.UnchangedToast;
                    break;
                case TupleDataKind.TextValue when value.Length > maxValueBytes:
                    _kinds[i] = RawKind.TooLarge;
                    _lengths[i] = value.Length;
                    break;
                case TupleDataKind.TextValue:
                    _kinds[i] = RawKind.Text;
                    if (used + value.Length > _bytes.Length)
                    {
                        Array.Resize(ref _bytes, Math.Max(used + value.Length, _bytes.Length * 2));
                    }

                    await using (var stream = value.GetStream())
                    {
                        await stream.ReadExactlyAsync(_bytes.AsMemory(used, value.Length), cancellationToken);
                    }

                    _lengths[i] = value.Length;
                    used += value.Length;
                    break;
                default:
                    throw new NotSupportedException($"pgoutput sent a {value.Kind} value; the connector asks for text values only.");
            }
        }
    }
}
