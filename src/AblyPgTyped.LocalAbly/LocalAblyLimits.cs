using System;
using System.Globalization;

namespace AblyPgTyped.LocalAbly;

/// <summary>
/// The limits a <see cref="LocalAblyServer"/> enforces. A null rate means no limit. Rates are modelled as token buckets
/// that hold one second's budget (see the project README, "Rate limits").
/// </summary>
/// <param name="ChannelMessagesPerSecond">Messages per second per channel; exceeding it gives 429 / 42913.</param>
/// <param name="AccountMessagesPerSecond">Messages per second across all channels; exceeding it gives 429 / 42917.</param>
/// <param name="AccountRequestsPerSecond">Publish requests (channel and batch) per second; exceeding it gives 429 / 42918.</param>
/// <param name="MaxMessageSize">Largest combined size (Ably's TM6 rule) of the messages of one publish or batch spec; exceeding it gives 413 / 40009.</param>
public sealed record LocalAblyLimits(
    double? ChannelMessagesPerSecond,
    double? AccountMessagesPerSecond,
    double? AccountRequestsPerSecond,
    int MaxMessageSize)
{
    /// <summary>64 KiB: Ably's message size limit on the Free and Standard plans, and the SDKs' default <c>maxMessageSize</c>.</summary>
    public const int DefaultMaxMessageSize = 65_536;

    /// <summary>The documented limits of an Ably plan (Ably's "limits" page).</summary>
    public static LocalAblyLimits ForPlan(LocalAblyPlan plan) => plan switch
    {
        LocalAblyPlan.Free => new LocalAblyLimits(50, 500, 50, DefaultMaxMessageSize),
        LocalAblyPlan.Standard => new LocalAblyLimits(50, 2_500, 362, DefaultMaxMessageSize),
        LocalAblyPlan.Pro => new LocalAblyLimits(50, 10_000, 1_447, 262_144),
        LocalAblyPlan.Unlimited => new LocalAblyLimits(null, null, null, DefaultMaxMessageSize),
        _ => throw new ArgumentOutOfRangeException(nameof(plan), plan, "Unknown plan."),
    };

    /// <summary>One line for people, e.g. <c>50 msg/s per channel, 2500 msg/s and 362 publish requests/s per account, 65536 bytes per publish</c>.</summary>
    public override string ToString() =>
        Rate(ChannelMessagesPerSecond) + " msg/s per channel, " + Rate(AccountMessagesPerSecond) + " msg/s and "
        + Rate(AccountRequestsPerSecond) + " publish requests/s per account, "
        + MaxMessageSize.ToString(CultureInfo.InvariantCulture) + " bytes per publish";

    private static string Rate(double? rate) => rate is { } value ? value.ToString(CultureInfo.InvariantCulture) : "unlimited";
}
