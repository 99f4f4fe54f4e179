using System.Collections.Generic;

namespace AblyPgTyped;

/// <summary>What a backfill publishes: which rows of the table, and on which channel.</summary>
public sealed class BackfillOptions
{
    /// <summary>
    /// An SQL condition on the table's rows, such as <c>created_at &gt; now() - interval '30 days'</c>, written by you
    /// and evaluated by PostgreSQL with the connector's rights. Columns may be named plainly or through the alias
    /// <c>t</c>. It is SQL, not a value: never build it from input you do not trust (write constants; a value from
    /// elsewhere belongs in <see cref="From"/> and <see cref="To"/>, which are sent as parameters). It must be one
    /// condition: a second statement is refused by PostgreSQL.
    /// </summary>
    public string? Where { get; set; }

    /// <summary>The smallest primary key to publish (inclusive): one value per key column, in key order. Sent as parameters.</summary>
    public IReadOnlyList<object>? From { get; set; }

    /// <summary>The largest primary key to publish (inclusive): one value per key column, in key order. Sent as parameters.</summary>
    public IReadOnlyList<object>? To { get; set; }

    /// <summary>
    /// The channel to publish every snapshot on, literally (no placeholders). By default each row goes to the channel
    /// its insert would use.
    /// </summary>
    public string? Channel { get; set; }

    /// <summary>Rows read, locked and recorded per transaction (500). Smaller chunks hold row locks for less time.</summary>
    public int ChunkRows { get; set; } = 500;
}
