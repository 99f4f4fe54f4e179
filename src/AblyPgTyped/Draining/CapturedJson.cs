using System;
using System.Text;

namespace AblyPgTyped.Draining;

/// <summary>A change's slice of its capture row's JSON; turned into text only for a dead letter.</summary>
internal readonly record struct CapturedJson(byte[] Row, int Start, int Length)
{
    public ReadOnlySpan<byte> Span => Row.AsSpan(Start, Length);

    public override string ToString() => Encoding.UTF8.GetString(Span);
}
