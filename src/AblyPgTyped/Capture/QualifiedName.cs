namespace AblyPgTyped.Capture;

/// <summary>A schema-qualified name, unquoted.</summary>
internal readonly record struct QualifiedName(string Schema, string Name)
{
    /// <summary>The name as SQL writes it: <c>"schema"."name"</c>.</summary>
    public string Quoted => CaptureSql.QualifiedName(Schema, Name);

    public override string ToString() => Schema + "." + Name;
}
