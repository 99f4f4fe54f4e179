namespace AblyPgTyped.Generators.Model;

/// <summary>An enum used by a mapped column or placeholder. Members hold one name per distinct value.</summary>
internal sealed record EnumSpec(string FullyQualifiedName, string MethodSuffix, bool IsUnsigned, EquatableArray<string> Members);
