using System;

namespace AblyPgTyped.Generators.Tests.Mapped;

/// <summary>The Node.js original's example table, as a positional record.</summary>
[AblyTable("users", Insert = "ably-users-added", Update = "users:{Id}", Delete = "ably-users-removed")]
public sealed record User(int Id, string Name);

/// <summary>Renamed columns, a composite key, an ignored constructor parameter and a required member.</summary>
[AblyTable("Order Lines", Schema = "Sales Data", Update = "orders:{OrderId}:lines", Delete = "orders:{OrderId}:lines")]
public sealed record OrderLine(
    [property: AblyKey, AblyColumn("order id")] Guid OrderId,
    [AblyKey, AblyColumn("line")] int LineNumber,
    [AblyIgnore] string? Secret)
{
    [AblyColumn("unit \"price\"")]
    public required decimal UnitPrice { get; init; }

    public string? Note { get; set; }

    [AblyIgnore]
    public required string InternalCode { get; init; }
}

public static class Outer
{
    /// <summary>A nested class with a parameterless constructor and settable properties.</summary>
    [AblyTable("select", Schema = "user", Insert = "{Region}:events", Delete = "deleted")]
    public class Event
    {
        public int Id { get; set; }

        public string Region { get; set; } = "";

        [AblyColumn("from")]
        public DateTimeOffset? From { get; set; }
    }
}

/// <summary>Snake-case column names, with an explicit name that the convention does not touch.</summary>
[AblyTable("orders", Insert = "orders", ColumnNaming = ColumnNaming.SnakeCase)]
public sealed record SnakeCaseOrder(int OrderId, int CustomerId, [property: AblyColumn("HTTP")] int HttpStatus);

/// <summary>A mapping whose updates and deletes carry the whole old row in logical-replication capture.</summary>
[AblyTable("audit_entries", Update = "audit", Delete = "audit", ReplicaIdentity = ReplicaIdentity.Full)]
public sealed record FullIdentityAudit([property: AblyKey] int Id, string Note);
