using System.Globalization;
using System.Linq;

namespace AblyPgTyped.Benchmarks.Infrastructure;

/// <summary>
/// How a measured span's changes reached the endpoint, from its counters: under which plan, how many messages per
/// change (below 1 when the connector bundled), in how many batch requests, and how many refusals with a 429 code.
/// </summary>
internal sealed record Delivery(BenchPlan Plan, long Changes, EndpointCounters Counted)
{
    /// <summary>Reads the counters after a span that began at <paramref name="before"/>.</summary>
    public static async System.Threading.Tasks.Task<Delivery> SinceAsync(BenchEndpoint endpoint, EndpointCounters before, long changes) =>
        new(endpoint.Plan, changes, await endpoint.CountersAsync() - before);

    /// <summary>Messages accepted ÷ changes.</summary>
    public double MessagesPerChange => Changes == 0 ? double.NaN : Counted.AcceptedMessages / (double)Changes;

    /// <summary>e.g. "0", "3 (42913 ×2, 42917/42918 ×1)": refusals with a 429 code, by kind.</summary>
    public string RateLimitedText => Counted.RateLimited == 0
        ? "0"
        : $"{Report.N0(Counted.RateLimited)} (" + string.Join(", ", new[]
        {
            Counted.ChannelRateLimited > 0 ? $"channel {Report.N0(Counted.ChannelRateLimited)}" : null,
            Counted.AccountRateLimited > 0 ? $"account {Report.N0(Counted.AccountRateLimited)}" : null,
        }.Where(part => part is not null)) + ")";

    /// <summary>e.g. "1", "0.0037 (270 changes per message)".</summary>
    public string MessagesPerChangeText
    {
        get
        {
            var value = MessagesPerChange;
            if (double.IsNaN(value) || Counted.AcceptedMessages == 0)
            {
                return "—";
            }

            // Three significant digits: 1, 0.0371, 0.00371.
            var text = value.ToString("G3", CultureInfo.InvariantCulture);
            return value >= 1 || text == "1" ? text : $"{text} ({Report.N0(1 / value)} changes per message)";
        }
    }
}
