using System;
using System.Collections.Generic;
using System.Text.Json;

namespace AblyPgTyped.Generators.Tests.Mapped;

public enum Mood
{
    Calm,
    Happy,
    Grumpy = 7,
}

public enum Wide : ulong
{
    Small = 1,
    Huge = ulong.MaxValue,
}

/// <summary>One property of every supported kind, nullable and not, for the round-trip tests.</summary>
[AblyTable("all_types", Insert = "all:{Id}", Update = "all-{Mood}-{Text}", Delete = "all")]
public sealed class AllTypes
{
    public long Id { get; init; }
    public bool Flag { get; set; }
    public byte Byte { get; set; }
    public sbyte SByte { get; set; }
    public short Short { get; set; }
    public ushort UShort { get; set; }
    public int Int { get; set; }
    public uint UInt { get; set; }
    public ulong ULong { get; set; }
    public float Float { get; set; }
    public double Double { get; set; }
    public decimal Decimal { get; set; }
    public string Text { get; set; } = "";
    public string? NullableText { get; set; }
    public char Char { get; set; }
    public Guid Guid { get; set; }
    public DateTime DateTime { get; set; }
    public DateTimeOffset DateTimeOffset { get; set; }
    public DateOnly DateOnly { get; set; }
    public TimeOnly TimeOnly { get; set; }
    public TimeSpan TimeSpan { get; set; }
    public byte[] Bytes { get; set; } = [];
    public byte[]? NullableBytes { get; set; }
    public Mood Mood { get; set; }
    public Wide Wide { get; set; }
    public JsonElement Json { get; set; }
    public JsonDocument? Document { get; set; }
    public int? NullableInt { get; set; }
    public long? NullableLong { get; set; }
    public decimal? NullableDecimal { get; set; }
    public Guid? NullableGuid { get; set; }
    public DateTime? NullableDateTime { get; set; }
    public TimeSpan? NullableTimeSpan { get; set; }
    public Mood? NullableMood { get; set; }
    public bool? NullableFlag { get; set; }
    public int[] Ints { get; set; } = [];
    public List<string> Strings { get; set; } = [];
    public IReadOnlyList<long?>? NullableLongs { get; set; }
    public Mood[] Moods { get; set; } = [];
    public string?[]? MaybeStrings { get; set; }
    public List<DateTimeOffset> Instants { get; set; } = [];

    [AblyIgnore]
    public string PasswordHash { get; set; } = "";

    /// <summary>Computed: not a column.</summary>
    public string Display => $"{Id}:{Text}";
}
