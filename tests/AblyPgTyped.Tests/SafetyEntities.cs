namespace AblyPgTyped.Tests;

/// <summary>Columns named as the capture trigger's own aliases and variables were once, or might be.</summary>
[AblyTable("parcels", Insert = "parcels", Update = "parcels", Delete = "parcels")]
public sealed record Parcel(
    [property: AblyKey, AblyColumn("id")] int Id,
    [property: AblyColumn("n")] int N,
    [property: AblyColumn("o")] string? O,
    [property: AblyColumn("r")] string? R,
    [property: AblyColumn("data")] string? Data,
    [property: AblyColumn("t")] int? T,
    [property: AblyColumn("p")] int? P,
    [property: AblyColumn("j")] string? J,
    [property: AblyColumn("ablypg_data")] string? AblypgData,
    [property: AblyColumn("ablypg_count")] long? AblypgCount,
    [property: AblyColumn("ablypg_problem")] string? AblypgProblem,
    [property: AblyColumn("weight")] decimal? Weight);

/// <summary>A partitioned table.</summary>
[AblyTable("shipments", Insert = "shipments", Update = "shipments", Delete = "shipments")]
public sealed record Shipment([property: AblyKey] int Id, string Region, int Qty);

public static class SafetySchemas
{
    public const string Parcels = """
        CREATE TABLE parcels (
            id int PRIMARY KEY, n int NOT NULL, o text, r text, data text, t int, p int, j text,
            ablypg_data text, ablypg_count bigint, ablypg_problem text, weight numeric, note text);
        """;

    public const string Shipments = """
        CREATE TABLE shipments ("Id" int NOT NULL, "Region" text NOT NULL, "Qty" int NOT NULL) PARTITION BY LIST ("Region");
        CREATE TABLE shipments_eu PARTITION OF shipments FOR VALUES IN ('eu');
        CREATE TABLE shipments_us PARTITION OF shipments FOR VALUES IN ('us');
        """;
}
