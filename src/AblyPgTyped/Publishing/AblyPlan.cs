namespace AblyPgTyped.Publishing;

/// <summary>
/// An Ably account's package, which sets the limits the connector paces itself to (see <see cref="AblyLimits"/>).
/// Every plan allows 50 messages/s per channel; the account-wide rates and the message size differ.
/// </summary>
public enum AblyPlan
{
    /// <summary>500 messages/s and 50 requests/s per account; 64 KiB messages.</summary>
    Free,

    /// <summary>2,500 messages/s and 362 requests/s per account; 64 KiB messages. The default.</summary>
    Standard,

    /// <summary>10,000 messages/s and 1,447 requests/s per account; 256 KiB messages.</summary>
    Pro,

    /// <summary>No rate limits at all (an endpoint without them, or an Enterprise account with custom limits); 64 KiB messages unless overridden.</summary>
    Unlimited,
}
