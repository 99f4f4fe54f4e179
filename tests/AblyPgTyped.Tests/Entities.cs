using System.Text.Json;

namespace AblyPgTyped.Tests;

/// <summary>
/// The original's example table, with per-row update channels. With logical-replication capture the whole old row is
/// logged (trigger capture always has it), so the delivery suite asserts the same messages in both modes.
/// </summary>
[AblyTable("users", Insert = "users", Update = "users:{Id}", Delete = "users", ReplicaIdentity = ReplicaIdentity.Full)]
public sealed record User(int Id, string Name, string? Bio);

/// <summary>Hostile identifiers end to end: quotes, spaces, a backslash, reserved words.</summary>
[AblyTable("Order \"Lines\"; DROP", Schema = "Sales Data", Insert = "orders:{OrderId}", Update = "orders:{OrderId}", Delete = "orders:{OrderId}")]
public sealed record OrderLine(
    [property: AblyKey, AblyColumn("order id")] int OrderId,
    [property: AblyKey, AblyColumn("select")] int Line,
    [property: AblyColumn("it's \\ \"quoted\"")] string? Note);

/// <summary>Rows updated concurrently, routed per row and to one shared channel (old rows whole in both capture modes).</summary>
[AblyTable("counters", Insert = "counters", Update = "counter:{Id}", ReplicaIdentity = ReplicaIdentity.Full)]
public sealed record Counter(int Id, long Value, int Writer);

/// <summary>A table that a later configuration stops mapping.</summary>
[AblyTable("audit", Insert = "audit", Delete = "audit")]
public sealed record Audit(int Id, string What);

public static class Schemas
{
    public const string Users = """CREATE TABLE users ("Id" int PRIMARY KEY, "Name" text NOT NULL, "Bio" text);""";

    public const string OrderLines = """"
        CREATE SCHEMA "Sales Data";
        CREATE TABLE "Sales Data"."Order ""Lines""; DROP" ("order id" int, "select" int, "it's \ ""quoted""" text, PRIMARY KEY ("order id", "select"));
        """";

    public const string Counters = """CREATE TABLE counters ("Id" int PRIMARY KEY, "Value" bigint NOT NULL, "Writer" int NOT NULL);""";

    public const string Audit = """CREATE TABLE audit ("Id" int PRIMARY KEY, "What" text NOT NULL);""";
}

/// <summary>A channel made entirely of a row value, which can resolve to a name Ably refuses.</summary>
[AblyTable("rooms", Insert = "{Name}")]
public sealed record Room(int Id, string Name);

/// <summary>A <c>jsonb</c> document, which can be nested deeper than a reader allows.</summary>
[AblyTable("docs", Insert = "docs")]
public sealed record Doc(int Id, JsonElement? Body);

public static class MoreSchemas
{
    public const string Docs = """CREATE TABLE docs ("Id" int PRIMARY KEY, "Body" jsonb);""";

    /// <summary>The same shape for an untyped mapping (the original's configuration files), in its column names.</summary>
    public const string Notes = """CREATE TABLE notes (id int, body jsonb);""";

    public const string Rooms = """CREATE TABLE rooms ("Id" int PRIMARY KEY, "Name" text NOT NULL);""";
}
