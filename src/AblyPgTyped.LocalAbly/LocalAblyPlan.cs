namespace AblyPgTyped.LocalAbly;

/// <summary>
/// The Ably plan whose documented limits a <see cref="LocalAblyServer"/> enforces (see <see cref="LocalAblyLimits.ForPlan"/>).
/// Every limit can be overridden one by one on <see cref="LocalAblyOptions"/>.
/// </summary>
public enum LocalAblyPlan
{
    /// <summary>50 messages/s per channel; per account 500 messages/s and 50 publish requests/s; 64 KiB per publish.</summary>
    Free,

    /// <summary>50 messages/s per channel; per account 2,500 messages/s and 362 publish requests/s; 64 KiB per publish. The default.</summary>
    Standard,

    /// <summary>50 messages/s per channel; per account 10,000 messages/s and 1,447 publish requests/s; 256 KiB per publish.</summary>
    Pro,

    /// <summary>No rate limits at all (for benchmarks and bulk tests); 64 KiB per publish.</summary>
    Unlimited,
}
