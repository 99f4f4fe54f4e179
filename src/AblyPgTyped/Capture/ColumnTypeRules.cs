using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;

namespace AblyPgTyped.Capture;

/// <summary>
/// Which PostgreSQL column types each C# property type can be read from: the types whose every value PostgreSQL renders
/// as JSON that <see cref="Serialization.JsonRow"/>'s reader for that property accepts (or, for <c>byte[]</c> and
/// <see cref="TimeSpan"/>, that the triggers render in their fixed forms). The connector refuses to start on any other
/// pairing, rather than dead-letter every row later. This is the one table of compatible types.
/// </summary>
internal static class ColumnTypeRules
{
    private static readonly string[] Integers = ["int2", "int4", "int8", "numeric"];
    private static readonly string[] Floats = ["float4", "float8", "numeric", "int2", "int4", "int8"];
    private static readonly string[] Texts = ["text", "varchar", "bpchar", "name", "citext"];
    private static readonly string[] Timestamps = ["timestamptz", "timestamp", "date"];

    /// <summary>Scalar types and the <c>pg_type</c> names of the base types they can be read from.</summary>
    private static readonly Dictionary<Type, string[]> Compatible = new()
    {
        [typeof(bool)] = ["bool"],
        [typeof(byte)] = Integers,
        [typeof(sbyte)] = Integers,
        [typeof(short)] = Integers,
        [typeof(ushort)] = Integers,
        [typeof(int)] = Integers,
        [typeof(uint)] = Integers,
        [typeof(long)] = Integers,
        [typeof(ulong)] = Integers,
        [typeof(float)] = Floats,
        [typeof(double)] = Floats,
        [typeof(decimal)] = Floats,
        [typeof(char)] = ["bpchar", "char", "text", "varchar"],
        [typeof(Guid)] = ["uuid"],
        [typeof(DateTime)] = Timestamps,
        [typeof(DateTimeOffset)] = Timestamps,
        [typeof(DateOnly)] = ["date"],
        [typeof(TimeOnly)] = ["time"],
        [typeof(TimeSpan)] = ["interval", "time"],
        [typeof(byte[])] = ["bytea"],
    };

    /// <summary>Base types whose values render as JSON objects or arrays, which a <c>string</c> property cannot hold.</summary>
    private static readonly string[] Structured = ["json", "jsonb"];

    /// <summary>
    /// Why a column of type <paramref name="column"/> cannot fill the property, as "which needs …", or null when it can.
    /// </summary>
    public static string? Problem(AblyColumn mapped, ColumnType column)
    {
        var valueType = mapped.ValueType ?? mapped.Capture switch
        {
            ColumnCapture.Base64 => typeof(byte[]),
            ColumnCapture.EpochSeconds => typeof(TimeSpan),
            _ => null,
        };
        if (valueType is null || valueType == typeof(JsonElement) || valueType == typeof(JsonDocument))
        {
            return null; // every value has a JSON rendering
        }

        if (mapped.IsCollection != column.IsArray)
        {
            return mapped.IsCollection
                ? "which needs an array of " + Needs(valueType)
                : "which needs " + Needs(valueType) + ", not an array";
        }

        var scalar = column.Element ?? column;
        return Fits(valueType, scalar) ? null : "which needs " + (mapped.IsCollection ? "an array of " : "") + Needs(valueType);
    }

    /// <summary>The C# type as the message names it: <c>int</c>, <c>string[]</c>, <c>Demo.Status</c>.</summary>
    public static string Describe(AblyColumn mapped)
    {
        var type = mapped.ValueType ?? (mapped.Capture == ColumnCapture.Base64 ? typeof(byte[]) : typeof(TimeSpan));
        return CSharpName(type) + (mapped.IsCollection ? "[]" : "");
    }

    private static bool Fits(Type valueType, ColumnType scalar)
    {
        if (valueType == typeof(string))
        {
            return scalar.Kind != 'c' && !Structured.Contains(scalar.Name, StringComparer.Ordinal);
        }

        if (valueType.IsEnum)
        {
            return scalar.Kind == 'e' || Texts.Contains(scalar.Name, StringComparer.Ordinal) || Integers.Contains(scalar.Name, StringComparer.Ordinal);
        }

        return Compatible.TryGetValue(valueType, out var names) && names.Contains(scalar.Name, StringComparer.Ordinal);
    }

    private static string Needs(Type valueType)
    {
        if (valueType == typeof(string))
        {
            return "a column that is not json, jsonb or a composite type";
        }

        if (valueType.IsEnum)
        {
            return "a PostgreSQL enum, a text or an integer column";
        }

        var names = Compatible.TryGetValue(valueType, out var known) ? known.Select(Display).ToArray() : ["?"];
        return names.Length == 1 ? names[0] : string.Join(", ", names[..^1]) + " or " + names[^1];
    }

    private static string Display(string typeName) => typeName switch
    {
        "bool" => "boolean",
        "int2" => "smallint",
        "int4" => "integer",
        "int8" => "bigint",
        "float4" => "real",
        "float8" => "double precision",
        "bpchar" => "char(n)",
        "char" => "\"char\"",
        _ => typeName,
    };

    private static string CSharpName(Type type) => type switch
    {
        _ when type == typeof(bool) => "bool",
        _ when type == typeof(byte) => "byte",
        _ when type == typeof(sbyte) => "sbyte",
        _ when type == typeof(short) => "short",
        _ when type == typeof(ushort) => "ushort",
        _ when type == typeof(int) => "int",
        _ when type == typeof(uint) => "uint",
        _ when type == typeof(long) => "long",
        _ when type == typeof(ulong) => "ulong",
        _ when type == typeof(float) => "float",
        _ when type == typeof(double) => "double",
        _ when type == typeof(decimal) => "decimal",
        _ when type == typeof(char) => "char",
        _ when type == typeof(string) => "string",
        _ when type == typeof(byte[]) => "byte[]",
        _ => type.FullName ?? type.Name,
    };
}
