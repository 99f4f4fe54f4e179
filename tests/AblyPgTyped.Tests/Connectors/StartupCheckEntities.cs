namespace AblyPgTyped.Tests;

/// <summary>A mapping whose property does not fit its column: "Name" is text in the table, int here.</summary>
[AblyTable("mistyped", Insert = "mistyped")]
public sealed record Mistyped(int Id, int Name);

public static class StartupCheckSchemas
{
    public const string Mistyped = """CREATE TABLE mistyped ("Id" int PRIMARY KEY, "Name" text);""";
}
