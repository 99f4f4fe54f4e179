using System;

namespace AblyPgTyped.Config;

/// <summary>
/// The parts of the original's configuration a command uses. A part it does not use may be missing, and is not checked:
/// <c>ablypg sql</c> needs no database and no API key, <c>ablypg status</c> no table list and no API key.
/// </summary>
[Flags]
internal enum ConfigParts
{
    /// <summary>Only the capture schema (and, when present, the database's name).</summary>
    None = 0,

    /// <summary>The PostgreSQL connection: <c>dbConfig</c>, or <c>DB_HOST</c> … <c>DB_NAME</c>.</summary>
    Database = 1,

    /// <summary>The mapped tables: <c>connector</c>, or <c>ABLY_CONNECTOR</c>.</summary>
    Tables = 2,

    /// <summary>Where and how to publish: <c>ably</c>, or <c>ABLY_API_KEY</c> and the other <c>ABLY_*</c> variables.</summary>
    Ably = 4,

    /// <summary>Everything: what running the connector needs.</summary>
    All = Database | Tables | Ably,
}
