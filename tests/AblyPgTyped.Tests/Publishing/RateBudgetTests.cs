using System;
using System.Diagnostics;
using AblyPgTyped.Publishing;
using Xunit;

namespace AblyPgTyped.Tests.Publishing;

/// <summary>
/// The connector's count of a rate limit never runs ahead of Ably's, which counts a request when it arrives: a
/// request's units are held from its building and charged at its answer.
/// </summary>
public sealed class RateBudgetTests
{
    private static long At(double seconds) => (long)(seconds * Stopwatch.Frequency);

    [Fact]
    public void A_request_on_its_way_holds_its_units_and_is_charged_when_answered()
    {
        // 50 messages/s per channel: the connector's bucket holds 47 and refills 47.5/s.
        var budget = new RateBudget(50, At(0));
        Assert.Equal(47, budget.Available(At(0)));

        budget.Reserve(47);
        Assert.Equal(0, budget.Available(At(0.5)));

        // Answered after a second: it may have arrived only now, onto a full bucket, so nothing has come back since.
        budget.Settle(47, At(1));
        Assert.Equal(0, budget.Available(At(1)));
        Assert.Equal(23, budget.Available(At(1.5)));
    }

    [Fact]
    public void Below_a_full_bucket_charging_at_the_answer_costs_nothing()
    {
        var budget = new RateBudget(50, At(0));
        budget.Reserve(47);
        budget.Settle(47, At(0));

        budget.Reserve(20);
        Assert.Equal(3, budget.Available(At(0.5))); // 23.75 back, 20 of them held
        budget.Settle(20, At(0.6));
        Assert.Equal(8, budget.Available(At(0.6))); // 23.75 + 4.75 - 20, as if charged when built
    }

    [Fact]
    public void A_wait_that_only_an_answer_can_end_is_bounded()
    {
        var budget = new RateBudget(50, At(0));
        budget.Reserve(40);
        var wait = budget.TimeUntil(10, At(0)); // 47 at most, 40 held: refill alone never frees 10
        Assert.True(wait > TimeSpan.Zero && wait <= TimeSpan.FromSeconds(1), wait.ToString());
        Assert.Equal(TimeSpan.Zero, budget.TimeUntil(7, At(0)));
    }
}
