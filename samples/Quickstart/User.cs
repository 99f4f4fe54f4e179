using AblyPgTyped;

namespace Quickstart;

/// <summary>
/// The Node.js original's example table, <c>users (id integer, name text)</c>, in a schema of its own so that
/// running the quickstart against your database never touches a table of yours.
/// </summary>
[AblyTable("users", Schema = "quickstart", Insert = "ably-users-added", Update = "ably-users-updated", Delete = "ably-users-removed")]
public sealed record User([property: AblyColumn("id")] int Id, [property: AblyColumn("name")] string Name);
