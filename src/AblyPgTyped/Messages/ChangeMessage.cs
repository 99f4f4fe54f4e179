namespace AblyPgTyped;

/// <summary>Names used in published messages. The message shape is documented in the README.</summary>
public static class ChangeMessage
{
    /// <summary>The message name of a bundle of several changes.</summary>
    public const string BundleName = "bundle";

    /// <summary>The message name the Node.js original used for every change (compatibility mode).</summary>
    public const string CompatibleName = "New message from the Ably/ Postgres connector";

    /// <summary>The wire name of a change kind: <c>insert</c>, <c>update</c>, <c>delete</c> or <c>snapshot</c>.</summary>
    public static string NameOf(ChangeKind kind) => kind switch
    {
        ChangeKind.Insert => "insert",
        ChangeKind.Update => "update",
        ChangeKind.Delete => "delete",
        ChangeKind.Snapshot => "snapshot",
        _ => throw new System.ArgumentOutOfRangeException(nameof(kind), kind, "Unknown change kind."),
    };

    /// <summary>Parses a wire name; null when it is not one.</summary>
    public static ChangeKind? ParseKind(string? name) => name switch
    {
        "insert" => ChangeKind.Insert,
        "update" => ChangeKind.Update,
        "delete" => ChangeKind.Delete,
        "snapshot" => ChangeKind.Snapshot,
        _ => null,
    };
}
