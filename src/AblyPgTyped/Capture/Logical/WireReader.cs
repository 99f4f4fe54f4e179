using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped.Capture.Logical;

/// <summary>
/// Reads one pgoutput message (the payload of an XLogData message) with few awaits: a message up to
/// <see cref="WholeMessageBytes"/> is read at once, and its values are then slices of the buffer; a larger one is read
/// in windows, so a huge value is skipped rather than held (<see cref="IsWhole"/> tells which).
/// </summary>
internal sealed class WireReader
{
    /// <summary>Messages up to this size are read whole; nearly all are.</summary>
    public const int WholeMessageBytes = 16 * 1024 * 1024;

    private const int Window = 64 * 1024;

    private byte[] _buffer = new byte[Window];
    private Stream _stream = Stream.Null;
    private int _position;
    private int _end;
    private long _unread;

    /// <summary>Whether the whole message is in the buffer, so slices stay valid until the next message.</summary>
    public bool IsWhole { get; private set; }

    public byte[] Buffer => _buffer;

    public int Position => _position;

    /// <summary>Starts reading the next message, of <paramref name="length"/> bytes from <paramref name="stream"/>.</summary>
    public async ValueTask StartAsync(Stream stream, long length, CancellationToken cancellationToken)
    {
        if (_buffer.Length > 4 * Window && length <= Window)
        {
            _buffer = new byte[Window]; // a huge message once does not keep its buffer
        }

        _stream = stream;
        _position = 0;
        _end = 0;
        _unread = length;
        IsWhole = length <= WholeMessageBytes;
        if (IsWhole)
        {
            if (_buffer.Length < length)
            {
                _buffer = new byte[(int)Math.Max(length, Math.Min(_buffer.Length * 2L, WholeMessageBytes))];
            }

            await FillAsync((int)length, cancellationToken);
        }
    }

    /// <summary>Makes <paramref name="count"/> more bytes readable (a no-op for a whole message).</summary>
    public ValueTask EnsureAsync(int count, CancellationToken cancellationToken)
    {
        if (_end - _position >= count)
        {
            return ValueTask.CompletedTask;
        }

        if (IsWhole || _end - _position + _unread < count)
        {
            throw new InvalidDataException("The pgoutput message ended early.");
        }

        return EnsureSlowAsync(count, cancellationToken);
    }

    public byte ReadByte() => _buffer[_position++];

    public short ReadInt16()
    {
        var value = BinaryPrimitives.ReadInt16BigEndian(_buffer.AsSpan(_position));
        _position += 2;
        return value;
    }

    public int ReadInt32()
    {
        var value = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_position));
        _position += 4;
        return value;
    }

    public long ReadInt64()
    {
        var value = BinaryPrimitives.ReadInt64BigEndian(_buffer.AsSpan(_position));
        _position += 8;
        return value;
    }

    /// <summary>Skips <paramref name="count"/> bytes already made readable.</summary>
    public void Advance(int count) => _position += count;

    /// <summary>A NUL-terminated UTF-8 string (names are short: at most a window's worth is looked at).</summary>
    public async ValueTask<string> ReadStringAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var nul = Array.IndexOf(_buffer, (byte)0, _position, _end - _position);
            if (nul >= 0)
            {
                var text = Encoding.UTF8.GetString(_buffer, _position, nul - _position);
                _position = nul + 1;
                return text;
            }

            await EnsureAsync(_end - _position + 1, cancellationToken);
        }
    }

    /// <summary>Skips <paramref name="count"/> bytes, reading them through the window if need be.</summary>
    public async ValueTask SkipAsync(long count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            if (_position == _end)
            {
                await EnsureAsync((int)Math.Min(count, Window), cancellationToken);
            }

            var step = (int)Math.Min(count, _end - _position);
            _position += step;
            count -= step;
        }
    }

    private async ValueTask EnsureSlowAsync(int count, CancellationToken cancellationToken)
    {
        // Keep what is unread, at the start of a buffer large enough for it and the window.
        var kept = _end - _position;
        if (_buffer.Length < count || _position > 0)
        {
            var target = _buffer.Length < Math.Max(count, Window) ? new byte[Math.Max(count, Window)] : _buffer;
            System.Buffer.BlockCopy(_buffer, _position, target, 0, kept);
            _buffer = target;
        }

        _position = 0;
        _end = kept;
        await FillAsync((int)Math.Min(_unread, Math.Max(count - kept, _buffer.Length - kept)), cancellationToken);
    }

    private async ValueTask FillAsync(int count, CancellationToken cancellationToken)
    {
        await _stream.ReadExactlyAsync(_buffer.AsMemory(_end, count), cancellationToken);
        _end += count;
        _unread -= count;
    }
}
