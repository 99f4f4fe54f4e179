using System;

namespace AblyPgTyped.Capture.Logical;

/// <summary>A growable byte buffer for rendering JSON, reused between rows.</summary>
internal sealed class ByteBuilder(int capacity = 256)
{
    private byte[] _bytes = new byte[Math.Max(16, capacity)];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Span => _bytes.AsSpan(0, Length);

    public void Clear() => Length = 0;

    public void Append(byte value)
    {
        if (Length == _bytes.Length)
        {
            Grow(1);
        }

        _bytes[Length++] = value;
    }

    public void Append(ReadOnlySpan<byte> values)
    {
        if (Length + values.Length > _bytes.Length)
        {
            Grow(values.Length);
        }

        values.CopyTo(_bytes.AsSpan(Length));
        Length += values.Length;
    }

    /// <summary>Room for <paramref name="count"/> more bytes, to be committed with <see cref="Advance"/>.</summary>
    public Span<byte> GetSpan(int count)
    {
        if (Length + count > _bytes.Length)
        {
            Grow(count);
        }

        return _bytes.AsSpan(Length, count);
    }

    public void Advance(int count) => Length += count;

    /// <summary>Cuts the content back to <paramref name="length"/> bytes.</summary>
    public void Truncate(int length) => Length = length;

    public byte[] ToArray() => Span.ToArray();

    private void Grow(int more)
    {
        var size = Math.Max(checked(Length + more), checked(_bytes.Length * 2));
        Array.Resize(ref _bytes, size);
    }
}
