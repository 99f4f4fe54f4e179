using AblyPgTyped;

namespace Quickstart;

/// <summary>
/// The Node.js original's example table, <c>users (id integer, name text)</c>, in a schema of its own so that
/// running the quickstart against your database never touches a table of yours. Its columns were created unquoted,
/// so PostgreSQL stores them in lower case: the snake_case convention maps <c>Id</c> to <c>id</c>.
/// </summary>
[AblyTable("users", Schema = "quickstart", Insert = "ably-users-added", Update = "ably-users-updated", Delete = "ably-users-removed",
    ColumnNaming = ColumnNaming.SnakeCase)]
public sealed record User(int Id, string Name);
