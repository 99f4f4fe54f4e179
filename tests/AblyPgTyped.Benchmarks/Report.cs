using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using AblyPgTyped.Benchmarks.Infrastructure;

namespace AblyPgTyped.Benchmarks;

/// <summary>The figures of one run, rendered as a markdown table with the target and the same-run baseline next to each.</summary>
internal sealed class Report
{
    private readonly List<Row> _rows = [];
    private readonly List<string> _notes = [];

    public List<string> Header { get; } = [];

    /// <summary>A figure without a target; <paramref name="delivery"/> fills the plan, messages-per-change and 429 columns.</summary>
    public void Add(string scenario, string figure, string result, string baseline = "", Delivery? delivery = null) =>
        _rows.Add(new Row(scenario, delivery, figure, result, "—", baseline, ""));

    /// <summary>A figure that should be at least <paramref name="target"/>.</summary>
    public void AtLeast(string scenario, string figure, double value, double target, Func<double, string> format, string result, string baseline = "", Delivery? delivery = null) =>
        _rows.Add(new Row(scenario, delivery, figure, result, "≥ " + format(target), baseline,
            value >= target ? "met" : $"**missed** by {Percent(1 - (value / target))}"));

    /// <summary>A figure that should be at most <paramref name="target"/>.</summary>
    public void AtMost(string scenario, string figure, double value, double target, Func<double, string> format, string result, string baseline = "", Delivery? delivery = null) =>
        _rows.Add(new Row(scenario, delivery, figure, result, "≤ " + format(target), baseline,
            value <= target ? "met" : $"**missed**: {Ratio(value / target)}× the target"));

    public void Note(string note) => _notes.Add(note);

    /// <summary>Prints a row at once, so that a long run shows its progress.</summary>
    public void Print(TextWriter progress)
    {
        if (_rows.Count > 0)
        {
            progress.WriteLine("  " + Line(_rows[^1]));
        }
    }

    public string Render()
    {
        var text = new StringBuilder();
        foreach (var line in Header)
        {
            text.Append("- ").AppendLine(line);
        }

        text.AppendLine();
        text.AppendLine("| scenario | plan | figure | this run | messages per change | 429s | target | baseline (same run) | vs target |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var row in _rows)
        {
            text.AppendLine(Line(row));
        }

        if (_notes.Count > 0)
        {
            text.AppendLine();
            foreach (var note in _notes)
            {
                text.Append("- ").AppendLine(note);
            }
        }

        return text.ToString();
    }

    public static string N0(double value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string F1(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);

    public static string F2(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    public static string Ms(double value) => (value < 10 ? value.ToString("0.0", CultureInfo.InvariantCulture) : N0(value)) + " ms";

    public static string Percent(double fraction) => N0(fraction * 100) + "%";

    private static string Ratio(double value) => value.ToString(value < 1.1 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    private static string Line(Row row) =>
        $"| {row.Scenario} | {row.Delivery?.Plan.Label ?? "—"} | {row.Figure} | {row.Result} | {row.Delivery?.MessagesPerChangeText ?? "—"} | " +
        $"{row.Delivery?.RateLimitedText ?? "—"} | {row.Target} | {row.Baseline} | {row.Verdict} |";

    private sealed record Row(string Scenario, Delivery? Delivery, string Figure, string Result, string Target, string Baseline, string Verdict);
}
