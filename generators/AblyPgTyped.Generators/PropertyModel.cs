using AblyPgTyped.Generators.Model;
using Microsoft.CodeAnalysis;

namespace AblyPgTyped.Generators;

/// <summary>A property while its type is being parsed. Holds symbols, so it never leaves the parser.</summary>
internal sealed class PropertyModel(IPropertySymbol symbol, Location? location)
{
    public IPropertySymbol Symbol { get; } = symbol;

    public Location? Location { get; } = location;

    public string Name => Symbol.Name;

    public string Column { get; set; } = symbol.Name;

    public bool Ignored { get; set; }

    public bool ExplicitKey { get; set; }

    public bool ExplicitColumn { get; set; }

    /// <summary>The <c>[AblyColumn]</c> argument, where a bad explicit name is reported.</summary>
    public Location? ColumnLocation { get; set; }

    public bool Settable { get; set; }

    /// <summary>A get-only property that no constructor sets: computed, so not a column.</summary>
    public bool Computed { get; set; }

    public ValueKind? Kind { get; set; }

    public INamedTypeSymbol? EnumSymbol { get; set; }

    public string? EnumType => EnumSymbol?.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);

    public bool ValueNullable { get; set; }

    public CollectionKind Collection { get; set; }

    public bool CollectionNullable { get; set; }

    public string TypeDisplay { get; set; } = "";

    public bool Mapped => !Ignored && !Computed && Kind is not null;
}
