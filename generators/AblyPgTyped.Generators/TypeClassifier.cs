using AblyPgTyped.Generators.Model;
using Microsoft.CodeAnalysis;

namespace AblyPgTyped.Generators;

/// <summary>Decides whether a property type maps to a column, and how.</summary>
internal static class TypeClassifier
{
    public static bool TryClassify(ITypeSymbol type, PropertyModel model)
    {
        if (type is IArrayTypeSymbol { Rank: 1 } array)
        {
            if (array.ElementType.SpecialType == SpecialType.System_Byte)
            {
                return SetScalar(model, ValueKind.Bytes, null, IsNullableReference(type));
            }

            return TryClassifyElement(array.ElementType, model, CollectionKind.Array, IsNullableReference(type));
        }

        if (type is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } generic && IsListLike(generic))
        {
            return TryClassifyElement(generic.TypeArguments[0], model, CollectionKind.List, IsNullableReference(type));
        }

        return TryClassifyScalar(type, model);
    }

    /// <summary>How a placeholder of this property renders, or null when it cannot be part of a channel name.</summary>
    public static PlaceholderFormat? PlaceholderFormatOf(PropertyModel property)
    {
        if (property.Collection != CollectionKind.None)
        {
            return null;
        }

        return property.Kind switch
        {
            ValueKind.String => PlaceholderFormat.String,
            ValueKind.Char => PlaceholderFormat.Char,
            ValueKind.Boolean => PlaceholderFormat.Boolean,
            ValueKind.Guid => PlaceholderFormat.Guid,
            ValueKind.Enum => PlaceholderFormat.Enum,
            ValueKind.Byte or ValueKind.SByte or ValueKind.Int16 or ValueKind.UInt16 or ValueKind.Int32
                or ValueKind.UInt32 or ValueKind.Int64 or ValueKind.UInt64 => PlaceholderFormat.Formattable,
            _ => null,
        };
    }

    private static bool TryClassifyElement(ITypeSymbol element, PropertyModel model, CollectionKind collection, bool collectionNullable)
    {
        // Elements are rendered by PostgreSQL's array-to-JSON conversion, which has no fixed form for bytea or interval.
        if (!TryClassifyScalar(element, model) || model.Kind is ValueKind.Bytes or ValueKind.TimeSpan or ValueKind.JsonDocument)
        {
            model.Kind = null;
            return false;
        }

        model.Collection = collection;
        model.CollectionNullable = collectionNullable;
        return true;
    }

    private static bool TryClassifyScalar(ITypeSymbol type, PropertyModel model)
    {
        var nullable = false;
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } wrapper)
        {
            type = wrapper.TypeArguments[0];
            nullable = true;
        }

        if (type.TypeKind == TypeKind.Enum && type is INamedTypeSymbol enumType)
        {
            model.EnumSymbol = enumType;
            return SetScalar(model, ValueKind.Enum, enumType, nullable);
        }

        ValueKind? kind = type.SpecialType switch
        {
            SpecialType.System_Boolean => ValueKind.Boolean,
            SpecialType.System_Byte => ValueKind.Byte,
            SpecialType.System_SByte => ValueKind.SByte,
            SpecialType.System_Int16 => ValueKind.Int16,
            SpecialType.System_UInt16 => ValueKind.UInt16,
            SpecialType.System_Int32 => ValueKind.Int32,
            SpecialType.System_UInt32 => ValueKind.UInt32,
            SpecialType.System_Int64 => ValueKind.Int64,
            SpecialType.System_UInt64 => ValueKind.UInt64,
            SpecialType.System_Single => ValueKind.Single,
            SpecialType.System_Double => ValueKind.Double,
            SpecialType.System_Decimal => ValueKind.Decimal,
            SpecialType.System_Char => ValueKind.Char,
            SpecialType.System_DateTime => ValueKind.DateTime,
            SpecialType.System_String => ValueKind.String,
            _ => type.ToDisplayString() switch
            {
                "System.Guid" => ValueKind.Guid,
                "System.DateTimeOffset" => ValueKind.DateTimeOffset,
                "System.DateOnly" => ValueKind.DateOnly,
                "System.TimeOnly" => ValueKind.TimeOnly,
                "System.TimeSpan" => ValueKind.TimeSpan,
                "System.Text.Json.JsonElement" => ValueKind.JsonElement,
                "System.Text.Json.JsonDocument" or "System.Text.Json.JsonDocument?" => ValueKind.JsonDocument,
                _ => null,
            },
        };

        if (kind is null)
        {
            return false;
        }

        return SetScalar(model, kind.Value, null, nullable || (type.IsReferenceType && IsNullableReference(type)));
    }

    private static bool SetScalar(PropertyModel model, ValueKind kind, INamedTypeSymbol? enumType, bool nullable)
    {
        model.Kind = kind;
        model.ValueNullable = nullable;
        model.EnumSymbol = enumType;
        return true;
    }

    /// <summary>Annotated (<c>string?</c>) or oblivious (nullable context off) references may hold null.</summary>
    private static bool IsNullableReference(ITypeSymbol type) =>
        type.IsReferenceType && type.NullableAnnotation != NullableAnnotation.NotAnnotated;

    private static bool IsListLike(INamedTypeSymbol type) =>
        type.OriginalDefinition.ToDisplayString() is
            "System.Collections.Generic.List<T>" or
            "System.Collections.Generic.IList<T>" or
            "System.Collections.Generic.IReadOnlyList<T>" or
            "System.Collections.Generic.ICollection<T>" or
            "System.Collections.Generic.IReadOnlyCollection<T>" or
            "System.Collections.Generic.IEnumerable<T>";
}
