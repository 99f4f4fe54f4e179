using System;
using System.Collections.Generic;
using System.Text.Json;

namespace AblyPgTyped.Tests.Connectors.Logical;

public enum Feeling
{
    Calm,
    Happy,
    Grumpy = 7,
}

public enum Huge : ulong
{
    Small = 1,
    Max = ulong.MaxValue,
}

/// <summary>
/// Every supported property kind (the generator tests' all-types mapping), to compare what logical replication
/// captures with what the triggers capture for the same rows. The whole old row is logged, as triggers have it.
/// </summary>
[AblyTable("every_type", Insert = "every", Update = "every", Delete = "every", ReplicaIdentity = ReplicaIdentity.Full)]
public sealed class EveryType
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
    public Feeling Mood { get; set; }
    public Huge Wide { get; set; }
    public JsonElement Json { get; set; }
    public JsonDocument? Document { get; set; }
    public int? NullableInt { get; set; }
    public long? NullableLong { get; set; }
    public decimal? NullableDecimal { get; set; }
    public Guid? NullableGuid { get; set; }
    public DateTime? NullableDateTime { get; set; }
    public TimeSpan? NullableTimeSpan { get; set; }
    public Feeling? NullableMood { get; set; }
    public bool? NullableFlag { get; set; }
    public int[] Ints { get; set; } = [];
    public List<string> Strings { get; set; } = [];
    public IReadOnlyList<long?>? NullableLongs { get; set; }
    public Feeling[] Moods { get; set; } = [];
    public string?[]? MaybeStrings { get; set; }
    public List<DateTimeOffset> Instants { get; set; } = [];

    [AblyIgnore]
    public string PasswordHash { get; set; } = "";
}

public static class EveryTypeSchemas
{
    public const string EveryType = """
        CREATE TYPE mood AS ENUM ('calm', 'happy', 'grumpy');
        CREATE TABLE every_type (
            "Id" bigint PRIMARY KEY, "Flag" boolean, "Byte" smallint, "SByte" smallint, "Short" smallint, "UShort" integer,
            "Int" integer, "UInt" bigint, "ULong" numeric(20), "Float" real, "Double" double precision, "Decimal" numeric,
            "Text" text, "NullableText" text, "Char" char(1), "Guid" uuid, "DateTime" timestamptz, "DateTimeOffset" timestamptz,
            "DateOnly" date, "TimeOnly" time, "TimeSpan" interval, "Bytes" bytea, "NullableBytes" bytea, "Mood" mood,
            "Wide" numeric(20), "Json" jsonb, "Document" json, "NullableInt" integer, "NullableLong" bigint,
            "NullableDecimal" numeric, "NullableGuid" uuid, "NullableDateTime" timestamp, "NullableTimeSpan" interval,
            "NullableMood" integer, "NullableFlag" boolean, "Ints" integer[], "Strings" text[], "NullableLongs" bigint[],
            "Moods" text[], "MaybeStrings" text[], "Instants" timestamptz[], "PasswordHash" text
        );
        """;

    /// <summary>Rows of every kind: the generator tests' row, a row of NULLs, and one of edge values.</summary>
    public const string Insert = """
        INSERT INTO every_type VALUES (
            9223372036854775807, true, 255, -128, -32768, 65535, -2147483648, 4294967295, 18446744073709551615, 1.5,
            'Infinity', 12345678901234567890.123456789, 'héllo 🌍 "q" \ end', NULL, 'é', '6f9619ff-8b86-d011-b42d-00c04fc964ff',
            '2024-02-29 23:59:59.123456+05:30', '2024-02-29 23:59:59.123456+00', '2024-02-29', '13:14:15.5',
            '1 day 01:01:01.000001', '\x0001020aff', NULL, 'grumpy', 18446744073709551615, '{"a": [1, {"b": null}], "é": "🎉"}',
            '[true, 1.0]', NULL, 9007199254740993, 0.10, NULL, '2024-01-01 00:00:00', '-00:00:00.5', 7, false,
            '{1,2,3}', '{"a","é"}', '{1,NULL,9007199254740993}', '{calm,HAPPY}', '{NULL,"z"}', '{"2020-01-01 00:00:00+00"}',
            'SECRET-HASH');
        INSERT INTO every_type ("Id") VALUES (1);
        INSERT INTO every_type VALUES (
            -5, false, 0, 0, 0, 0, 0, 0, 0, 'NaN', '-Infinity', 'NaN', E'tab\there\nnew "line" \\ \u0001 ctl',
            (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 3000) g),
            ' ', '00000000-0000-0000-0000-000000000000', 'infinity', '-infinity', '0044-03-15 BC', '24:00:00',
            '-1 years -2 mons +3 days -04:05:06.000007', '\x', '\x00', 'calm', 0, '[]', '{ "spaced" : 1 }', -1, -9223372036854775808,
            -0.000001, '00000000-0000-0000-0000-000000000001', '0044-03-15 12:00:00 BC', '100 years', 0, NULL,
            '{}', '{"","NULL","a,b","{braces}","q\"uote","back\\slash"," spaced "}', '{NULL}', '{}', '{NULL,NULL}',
            '{"infinity","1999-12-31 23:59:59.999999+00"}', 'x');
        """;

    /// <summary>Updates: one leaves the large (TOASTed) text alone, which logical replication then does not send.</summary>
    public const string Update = """
        UPDATE every_type SET "Int" = 5, "PasswordHash" = 'NEW-SECRET' WHERE "Id" = -5;
        UPDATE every_type SET "Text" = 'changed', "Instants" = '{}' WHERE "Id" <> -5;
        """;

    public const string Delete = "DELETE FROM every_type";

    /// <summary>Types no property maps, captured whole by an untyped mapping: composites, 2-D arrays, odd bounds, ranges, …</summary>
    public const string Exotic = """"
        CREATE TYPE pair AS (a int, "b ""q""" text, c timestamptz);
        CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
        CREATE DOMAIN labels AS text[];
        CREATE TABLE exotic (
            id int PRIMARY KEY, p pair, ps pair[], grid int[], bounded int[], ts timestamp, tstz timestamptz, d date, iv interval,
            t time, tz timetz, money money, r numrange, net inet, bits varbit, b boolean, bs boolean[], c char(3), ch "char",
            n name, o oid, num numeric, f4 real, f8 float8, big bigint, small smallint, pos positive, lab labels, j jsonb, js json,
            jsa jsonb[], by bytea, bya bytea[], u uuid, x xml, tsv tsvector, "we""ird \ col" text, dates date[], tss timestamp[]
        );
       """";

    public const string ExoticRows = """
        INSERT INTO exotic VALUES (
            1, ROW(1, 'a "b", c', '2020-01-01 00:00:00+00'), ARRAY[ROW(2, NULL, NULL)::pair, ROW(NULL, '', 'infinity')::pair],
            '{{1,2},{3,4}}', '[0:2]={7,8,9}', '0044-03-15 12:00:00 BC', '2024-06-01 12:34:56.789+02', '2024-02-29', '1 year 2 mons 3 days 04:05:06.5',
            '23:59:59.999999', '12:00:00+05:30', 12.34, '[1.5,2.5)', '192.168.0.1/24', B'1011', true, '{t,f,NULL}', 'ab', 'z',
            'a name', 42, 1e-7, 3.4e38, 1e300, -9223372036854775808, -32768, 5, '{x,"y z"}', '{"k": [1, 2.50, "é"]}', '{"k" : [1, 2.50]}',
            ARRAY['{"a":1}'::jsonb, 'null'::jsonb], '\xdeadbeef', ARRAY['\x00'::bytea, NULL], 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
            '<a b="c">d</a>', 'a fat cat', E'line\nbreak', '{2024-01-01,infinity}', '{"2024-01-01 00:00:00.5"}');
        INSERT INTO exotic (id) VALUES (2);
        UPDATE exotic SET big = big + 1, grid = '{{5}}' WHERE id = 1;
        DELETE FROM exotic WHERE id = 2;
        """;
}
