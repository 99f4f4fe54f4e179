using System;
using Xunit;

namespace AblyPgTyped.LocalAbly.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public void Defaults_are_the_Standard_plan_on_port_8089_with_the_sample_key()
    {
        var options = CommandLine.Parse(Array.Empty<string>())!;
        Assert.Equal(LocalAblyPlan.Standard, options.Plan);
        Assert.Equal(8089, options.Port);
        Assert.Equal(new[] { "app.key:secret" }, options.ApiKeys);
        Assert.Equal(LocalAblyLimits.ForPlan(LocalAblyPlan.Standard), options.ResolveLimits());
    }

    [Theory]
    [InlineData("free", LocalAblyPlan.Free)]
    [InlineData("standard", LocalAblyPlan.Standard)]
    [InlineData("Pro", LocalAblyPlan.Pro)]
    [InlineData("unlimited", LocalAblyPlan.Unlimited)]
    public void Plan_is_parsed(string value, LocalAblyPlan plan) =>
        Assert.Equal(plan, CommandLine.Parse(new[] { "--plan", value })!.Plan);

    [Fact]
    public void Overrides_replace_the_plans_limits()
    {
        var options = CommandLine.Parse(new[]
        {
            "--plan", "free", "--channel-rate", "unlimited", "--account-message-rate", "1000.5",
            "--account-request-rate", "20", "--max-message-size", "2048",
        })!;
        Assert.Equal(new LocalAblyLimits(null, 1000.5, 20, 2048), options.ResolveLimits());
        Assert.Equal(25, CommandLine.Parse(new[] { "--rate-limit", "25" })!.ChannelMessagesPerSecond); // alias of --channel-rate
    }

    [Theory]
    [InlineData("--plan", "enterprise")]
    [InlineData("--channel-rate", "0")]
    [InlineData("--channel-rate", "fast")]
    [InlineData("--rate-limit", "-1")]
    [InlineData("--account-message-rate", "NaN")]
    [InlineData("--account-request-rate", "Infinity")]
    [InlineData("--max-message-size", "0")]
    [InlineData("--port", "70000")]
    public void Bad_values_name_the_flag(string flag, string value)
    {
        var error = Assert.Throws<ArgumentException>(() => CommandLine.Parse(new[] { flag, value }));
        Assert.StartsWith(flag + ":", error.Message, StringComparison.Ordinal);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_value_and_help()
    {
        var error = Assert.Throws<ArgumentException>(() => CommandLine.Parse(new[] { "--plan" }));
        Assert.Contains("--plan", error.Message, StringComparison.Ordinal);
        Assert.Null(CommandLine.Parse(new[] { "--help" }));
        Assert.Contains("--plan", CommandLine.Usage, StringComparison.Ordinal);
        Assert.Contains("--account-request-rate", CommandLine.Usage, StringComparison.Ordinal);
    }
}
