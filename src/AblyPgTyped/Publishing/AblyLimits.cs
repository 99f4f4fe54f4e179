using System;

namespace AblyPgTyped.Publishing;

/// <summary>
/// The limits in force for one Ably account: a plan's presets with any overrides applied. Rates are per second;
/// <see cref="double.PositiveInfinity"/> means no limit.
/// </summary>
/// <param name="ChannelMessagesPerSecond">Messages one channel accepts per second (50 on every plan).</param>
/// <param name="AccountMessagesPerSecond">Messages the account accepts per second, over all channels.</param>
/// <param name="AccountRequestsPerSecond">HTTP requests the account accepts per second.</param>
/// <param name="MaxMessageSize">Largest message, and largest sum of the messages of one channel in one request, by Ably's size rule.</param>
public sealed record AblyLimits(double ChannelMessagesPerSecond, double AccountMessagesPerSecond, double AccountRequestsPerSecond, int MaxMessageSize)
{
    /// <summary>Ably's per-channel publish rate on every plan.</summary>
    public const double ChannelRate = 50;

    /// <summary>The documented limits of <paramref name="plan"/> (Ably's pricing limits page).</summary>
    public static AblyLimits Of(AblyPlan plan) => plan switch
    {
        AblyPlan.Free => new(ChannelRate, 500, 50, 65_536),
        AblyPlan.Standard => new(ChannelRate, 2_500, 362, 65_536),
        AblyPlan.Pro => new(ChannelRate, 10_000, 1_447, 262_144),
        AblyPlan.Unlimited => new(double.PositiveInfinity, double.PositiveInfinity, double.PositiveInfinity, 65_536),
        _ => throw new ArgumentOutOfRangeException(nameof(plan), plan, "Unknown Ably plan."),
    };
}
