using System;
using AblyPgTyped;

namespace TypedApp;

public enum OrderStatus
{
    Placed,
    Paid,
    Shipped,
    Cancelled,
}

/// <summary>Orders fan out per row: a customer's page subscribes to <c>orders:{Id}</c> only.</summary>
[AblyTable("orders", Schema = "shop", Insert = "orders", Update = "orders:{Id}", Delete = "orders")]
public sealed record Order(Guid Id, string Customer, decimal Total, OrderStatus Status, DateTimeOffset PlacedAt)
{
    /// <summary>Never captured, never published.</summary>
    [AblyIgnore]
    public string? PaymentToken { get; init; }
}

/// <summary>Stock levels, one channel per product.</summary>
[AblyTable("stock", Schema = "shop", Update = "stock:{Sku}")]
public sealed record Stock([property: AblyKey] string Sku, int Quantity, long[] Warehouses);
