using System.Globalization;

namespace ExpertsAtHand.Service.Pages.Dashboard;

/// <summary>One bar: its label, its value (null when hidden for small numbers) and the words written beside it.</summary>
public sealed record Bar(string Label, double? Value, string Text);

/// <summary>
/// A horizontal bar chart drawn on the server as SVG, named by the heading it sits under
/// (<paramref name="TitleId"/>) and always followed by a table of the same figures: a chart is
/// never the only way to read one.
/// </summary>
public sealed record BarChart(string Id, string TitleId, IReadOnlyList<Bar> Bars, double Max = 1)
{
    public const int LabelWidth = 300;
    public const int BarWidth = 240;
    public const int RowHeight = 24;

    public int Height => (RowHeight * Bars.Count) + 8;

    /// <summary>The bar's length: its value against the chart's largest, never beyond it, nothing when hidden.</summary>
    public int Length(Bar bar) => bar.Value is { } v && Max > 0 ? (int)Math.Round(Math.Clamp(v / Max, 0, 1) * BarWidth) : 0;

    public static string Percent(double? share) => share is { } s ? s.ToString("0%", CultureInfo.InvariantCulture) : "hidden (small numbers)";
}
