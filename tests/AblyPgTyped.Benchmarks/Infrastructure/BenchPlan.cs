using System;
using System.Globalization;
using AblyPgTyped.LocalAbly;
using AblyPgTyped.Publishing;

namespace AblyPgTyped.Benchmarks.Infrastructure;

/// <summary>
/// The Ably plan a figure is measured under: the endpoint enforces the plan's limits and the connector paces itself
/// to the same plan. Under Standard and Pro the connector bundles as a user's does by default; Unlimited is the
/// baseline, with the settings the figures of issue 5 were taken with (no limits anywhere, one message per change).
/// </summary>
internal sealed record BenchPlan(string Name, LocalAblyPlan EndpointPlan, AblyPlan ConnectorPlan, int MaxChangesPerMessage)
{
    /// <summary>The share of each limit the connector paces to (RateBudget.Headroom, internal to the connector).</summary>
    private const double Headroom = 0.95;

    /// <summary>The connector's own default, so the limited plans run as a user's connector does.</summary>
    private static readonly int DefaultMaxChangesPerMessage = new ConnectorOptions().MaxChangesPerMessage;

    public static readonly BenchPlan Standard = new("Standard", LocalAblyPlan.Standard, AblyPlan.Standard, DefaultMaxChangesPerMessage);

    public static readonly BenchPlan Pro = new("Pro", LocalAblyPlan.Pro, AblyPlan.Pro, DefaultMaxChangesPerMessage);

    public static readonly BenchPlan Unlimited = new("Unlimited", LocalAblyPlan.Unlimited, AblyPlan.Unlimited, 1);

    public static readonly BenchPlan[] All = [Standard, Pro, Unlimited];

    /// <summary>Whether the endpoint enforces rate limits (every plan but Unlimited).</summary>
    public bool IsLimited => ConnectorPlan != AblyPlan.Unlimited;

    /// <summary>The plan's documented limits, as the connector reads them.</summary>
    public AblyLimits Limits => AblyLimits.Of(ConnectorPlan);

    /// <summary>The rate the connector actually paces to for a <paramref name="limit"/> (it keeps 5% below each).</summary>
    public static double Paced(double limit) => limit * Headroom;

    /// <summary>Most changes one message can carry under this plan when each takes <paramref name="bytesPerChange"/> (the size limit, at most <see cref="MaxChangesPerMessage"/>).</summary>
    public int ChangesPerMessage(double bytesPerChange) =>
        IsLimited ? (int)Math.Max(1, Math.Min(MaxChangesPerMessage, Math.Floor(Limits.MaxMessageSize / Math.Max(1, bytesPerChange)))) : 1;

    /// <summary>Messages per second the connector lets itself send to <paramref name="channels"/> busy channels under this plan.</summary>
    public double MessagesPerSecond(int channels) =>
        Math.Min(channels * Paced(Limits.ChannelMessagesPerSecond), Paced(Limits.AccountMessagesPerSecond));

    /// <summary>
    /// e.g. "Standard's ceiling here: 47.5 messages/s × 270 changes per message (64 KiB ÷ 243 bytes per change) = 12,825 changes/s":
    /// what the plan lets <paramref name="channels"/> busy channels carry, for a limited plan's baseline column.
    /// </summary>
    public string Ceiling(int channels, double bytesPerChange)
    {
        var perMessage = ChangesPerMessage(bytesPerChange);
        var bound = perMessage == MaxChangesPerMessage ? $"MaxChangesPerMessage {MaxChangesPerMessage}" : $"{Limits.MaxMessageSize / 1024} KiB ÷ {bytesPerChange:0} bytes per change";
        var messages = MessagesPerSecond(channels);
        return $"{Name}'s ceiling here: {(messages < 100 ? Report.F1(messages) : Report.N0(messages))} messages/s × {Report.N0(perMessage)} changes per message ({bound}) = {Report.N0(messages * perMessage)} changes/s";
    }

    /// <summary>What the plan column of the report says.</summary>
    public string Label => IsLimited ? Name : Name + " (bundling off)";

    /// <summary>e.g. "Standard: 50 msg/s per channel, 2,500 msg/s and 362 requests/s per account, 64 KiB messages; connector bundles up to 500 changes per message (its default)".</summary>
    public string Describe() => IsLimited
        ? string.Create(CultureInfo.InvariantCulture,
            $"{Name}: {Limits.ChannelMessagesPerSecond:0} msg/s per channel, {Limits.AccountMessagesPerSecond:N0} msg/s and {Limits.AccountRequestsPerSecond:N0} requests/s per account, {Limits.MaxMessageSize / 1024} KiB messages; connector bundles up to {MaxChangesPerMessage} changes per message (its default)")
        : $"{Name}: no rate limits, {Limits.MaxMessageSize / 1024} KiB messages; connector sends one message per change (MaxChangesPerMessage = 1)";

    public static BenchPlan Parse(string name) =>
        Array.Find(All, p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"--plans takes standard, pro and/or unlimited, not '{name}'.");

}
