namespace AblyPgTyped.Generators.Model;

/// <summary>One operation's channel: the template and its parsed segments.</summary>
internal sealed record ChannelSpec(ChangeOperation Operation, string Template, EquatableArray<ChannelSegment> Segments);

/// <summary>Literal text, or a placeholder naming a property.</summary>
/// <param name="Text">The literal text, or the property name.</param>
/// <param name="Format">How a placeholder's value becomes text; <see cref="PlaceholderFormat.Literal"/> for text.</param>
/// <param name="Nullable">Whether the placeholder's property may be null (null renders as empty text).</param>
/// <param name="EnumType">For enum placeholders, the enum's fully qualified name.</param>
internal sealed record ChannelSegment(string Text, PlaceholderFormat Format, bool Nullable, string? EnumType);

internal enum PlaceholderFormat
{
    Literal,
    String,
    Char,
    Boolean,
    Formattable,
    Guid,
    Enum,
}

internal enum ChangeOperation
{
    Insert,
    Update,
    Delete,
}
