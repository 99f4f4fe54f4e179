using System;
using System.Threading;
using System.Threading.Tasks;

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
/// One pgoutput tuple (<c>TupleData</c>: a count, then per column <c>n</c>, <c>u</c>, or <c>t</c> with a length and the
/// text). Its values are slices of the message buffer when the message was read whole, else copies; a value longer
/// than capture records is skipped and marked too large. Reused from row to row.
/// </summary>
internal sealed class RawTuple
{
    private byte[] _own = new byte[1024];
    private byte[] _source = [];
    private RawKind[] _kinds = new RawKind[16];
    private int[] _starts = new int[16];
    private int[] _lengths = new int[16];

    public int Count { get; private set; }

    public RawKind Kind(int column) => _kinds[column];

    public ReadOnlySpan<byte> Text(int column) => _source.AsSpan(_starts[column], _lengths[column]);

    /// <summary>The length of the value's text as PostgreSQL sent it (for a <see cref="RawKind.TooLarge"/> value, not kept).</summary>
    public int Length(int column) => _lengths[column];

    public async ValueTask ReadAsync(WireReader reader, int maxValueBytes, CancellationToken cancellationToken)
    {
        await reader.EnsureAsync(2, cancellationToken);
        Count = reader.ReadInt16();
        if (Count > _kinds.Length)
        {
            Array.Resize(ref _kinds, Count);
            Array.Resize(ref _starts, Count);
            Array.Resize(ref _lengths, Count);
        }

        _source = reader.IsWhole ? reader.Buffer : _own;
        var used = 0;
        for (var i = 0; i < Count; i++)
        {
            await reader.EnsureAsync(1, cancellationToken);
            var kind = reader.ReadByte();
            _starts[i] = 0;
            _lengths[i] = 0;
            switch (kind)
            {
                case (byte)'n':
                    _kinds[i] = RawKind.Null;
                    continue;
                case (byte)'u':
                    _kinds[i] = RawKind.UnchangedToast;
                    continue;
                case (byte)'t':
                    break;
                default:
                    throw new NotSupportedException($"pgoutput sent a value of kind '{(char)kind}'; the connector asks for text values only.");
            }

            await reader.EnsureAsync(4, cancellationToken);
            var length = reader.ReadInt32();
            _lengths[i] = length;
            if (length > maxValueBytes)
            {
                _kinds[i] = RawKind.TooLarge;
                await reader.SkipAsync(length, cancellationToken);
                continue;
            }

            _kinds[i] = RawKind.Text;
            await reader.EnsureAsync(length, cancellationToken);
            if (reader.IsWhole)
            {
                _starts[i] = reader.Position;
            }
            else
            {
                if (used + length > _own.Length)
                {
                    Array.Resize(ref _own, Math.Max(used + length, _own.Length * 2));
                    _source = _own;
                }

                reader.Buffer.AsSpan(reader.Position, length).CopyTo(_own.AsSpan(used));
                _starts[i] = used;
                used += length;
            }

            reader.Advance(length);
        }
    }
}
