using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;

namespace AblyPgTyped.LocalAbly;

/// <summary>
/// The one msgpack frame the server ever writes: an ERROR refusing <c>format=msgpack</c>, so that a client that forgot
/// <c>useBinaryProtocol: false</c> reads a clear reason instead of failing to decode JSON.
/// </summary>
internal static class MsgPackRefusal
{
    public static byte[] Error(int code, int statusCode, string message)
    {
        var output = new List<byte>(256);
        output.Add(0x82); // map of 2: action, error
        WriteString(output, "action");
        output.Add((byte)ProtocolAction.Error);
        WriteString(output, "error");
        output.Add(0x84); // map of 4
        WriteString(output, "code");
        WriteUInt32(output, (uint)code);
        WriteString(output, "statusCode");
        WriteUInt32(output, (uint)statusCode);
        WriteString(output, "message");
        WriteString(output, message);
        WriteString(output, "href");
        WriteString(output, AblyErrors.Href(code));
        return output.ToArray();
    }

    private static void WriteUInt32(List<byte> output, uint value)
    {
        output.Add(0xce);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        output.AddRange(bytes.ToArray());
    }

    private static void WriteString(List<byte> output, string value)
    {
        var utf8 = Encoding.UTF8.GetBytes(value);
        if (utf8.Length < 32)
        {
            output.Add((byte)(0xa0 | utf8.Length));
        }
        else if (utf8.Length <= byte.MaxValue)
        {
            output.Add(0xd9);
            output.Add((byte)utf8.Length);
        }
        else
        {
            output.Add(0xda);
            output.Add((byte)(utf8.Length >> 8));
            output.Add((byte)utf8.Length);
        }

        output.AddRange(utf8);
    }
}
