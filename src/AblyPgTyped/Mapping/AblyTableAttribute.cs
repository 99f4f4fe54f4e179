using System;

namespace AblyPgTyped;

/// <summary>
/// Maps a class or record to a PostgreSQL table whose row changes are published to Ably.
/// The AblyPgTyped source generator validates the mapping at compile time and emits the capture DDL,
/// the row mapper and the channel resolution for the type.
/// </summary>
/// <example>
/// <code>
/// [AblyTable("users", Insert = "ably-users-added", Update = "users:{Id}")]
/// public sealed record User(int Id, string Name);
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class AblyTableAttribute : Attribute
{
    /// <summary>Maps the type to <paramref name="table"/> (an unquoted, case-sensitive PostgreSQL table name).</summary>
    public AblyTableAttribute(string table) => Table = table;

    /// <summary>The table name, exactly as PostgreSQL stores it (case-sensitive; it is always quoted).</summary>
    public string Table { get; }

    /// <summary>The table's schema. Defaults to <c>public</c>.</summary>
    public string Schema { get; set; } = "public";

    /// <summary>Channel that receives inserted rows; <see langword="null"/> leaves inserts uncaptured.
    /// May contain <c>{Property}</c> placeholders resolved per row.</summary>
    public string? Insert { get; set; }

    /// <summary>Channel that receives updated rows (old and new); <see langword="null"/> leaves updates uncaptured.</summary>
    public string? Update { get; set; }

    /// <summary>Channel that receives deleted rows; <see langword="null"/> leaves deletes uncaptured.
    /// Placeholders resolve against the deleted (old) row.</summary>
    public string? Delete { get; set; }

    /// <summary>
    /// The accessibility of the generated mapping class. <see cref="MappingVisibility.Public"/> needs a public type.
    /// When not set, the assembly's <see cref="AblyTableDefaultsAttribute.Visibility"/> applies, else
    /// <see cref="MappingVisibility.Internal"/>.
    /// </summary>
    public MappingVisibility Visibility { get; set; }

    /// <summary>
    /// How columns are named from properties that have no <see cref="AblyColumnAttribute"/>. When not set, the assembly's
    /// <see cref="AblyTableDefaultsAttribute.ColumnNaming"/> applies, else <see cref="ColumnNaming.Exact"/>.
    /// </summary>
    public ColumnNaming ColumnNaming { get; set; }

    /// <summary>
    /// What <c>old</c> carries with <see cref="CaptureMode.LogicalReplication"/> capture: the key (the default) or the whole
    /// previous row (<see cref="AblyPgTyped.ReplicaIdentity.Full"/>, which sets <c>REPLICA IDENTITY FULL</c> on the table).
    /// Trigger capture always has the whole old row.
    /// </summary>
    public ReplicaIdentity ReplicaIdentity { get; set; }
}
