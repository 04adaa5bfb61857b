using System.Globalization;
using System.Text;
using ExpertsAtHand.Service.Hosting;

namespace ExpertsAtHand.Service.Features.Reports;

/// <summary>How small counts are hidden in anything that leaves the service.</summary>
public sealed record Suppression(int Threshold, int RoundTo)
{
    /// <summary>Counts from 1 to 4 written "c" (the default).</summary>
    public static readonly Suppression Default = new(4, 1);

    /// <summary>The NHS style: 1 to 7 suppressed, the rest rounded to the nearest 5.</summary>
    public static readonly Suppression Nhs = new(7, 5);

    public bool Suppresses(long? count) => count is > 0 && count <= Threshold;

    /// <summary>Whether a figure built on these counts must be hidden: any one of them is suppressed.</summary>
    public bool SuppressesAny(params long?[] counts) => counts.Any(Suppresses);

    /// <summary>A count as the return writes it (the return works from exact figures, never hidden ones).</summary>
    public string Count(long? count)
    {
        var value = count ?? 0;
        return Suppresses(value)
            ? "c"
            : (RoundTo <= 1 ? value : (long)Math.Round(value / (double)RoundTo, MidpointRounding.AwayFromZero) * RoundTo).ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>One line of the return: a measure for a locality and phase (or "All").</summary>
public sealed record ReturnLine(string Quarter, string Locality, string Phase, string Measure, string Value);

public sealed record QuarterlyReturnDocument(string Quarter, DateOnly From, DateOnly To, DateOnly? AsOf, long LastEventPosition, string Suppression, IReadOnlyList<ReturnLine> Lines);

/// <summary>
/// GET /api/reports/quarterly-return?quarter=2026-Q3[&format=csv][&suppression=default|nhs]: the
/// quarter's coverage, timeliness and de-escalation in one long table, small counts suppressed.
/// Calendar quarters (Q3 is July to September). Columns: contracts/quarterly-return.md.
/// </summary>
public static class QuarterlyReturnEndpoints
{
    public static IEndpointRouteBuilder MapQuarterlyReturn(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/reports/quarterly-return", ReturnAsync).WithTags("Reports").RequireAuthorization("member").ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithName("QuarterlyReturn")
            .WithSummary("The quarter's coverage, timeliness, de-escalation and satisfaction as JSON or CSV (format=csv), small counts suppressed (suppression=default: 1–4 as c; nhs: 1–7 as c, others to the nearest 5); asOf gives the return as the log stood at the end of that day.")
            .Produces<QuarterlyReturnDocument>().Produces<string>(StatusCodes.Status200OK, "text/csv").ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        return endpoints;
    }

    public static (DateOnly From, DateOnly To)? ParseQuarter(string? quarter)
    {
        if (quarter is not { Length: 7 } || quarter[4] != '-' || quarter[5] != 'Q'
            || !int.TryParse(quarter.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var year) || year < QueryValues.Earliest.Year || year > QueryValues.Latest.Year
            || quarter[6] is < '1' or > '4')
        {
            return null;
        }

        var from = new DateOnly(year, ((quarter[6] - '1') * 3) + 1, 1);
        return (from, from.AddMonths(3).AddDays(-1));
    }

    private static async Task<IResult> ReturnAsync(HttpContext http, ReportSource source, string? quarter, string? format, string? suppression, DateOnly? asOf, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Coordinator, Roles.Commissioner))
        {
            return Problems.Forbidden("Returns are for coordinators and commissioners.");
        }

        var errors = new Dictionary<string, string[]>();
        var period = ParseQuarter(quarter);
        if (period is null)
        {
            errors["quarter"] = [$"A quarter such as 2026-Q3 (calendar quarters: Q3 is July to September), from {QueryValues.Earliest.Year}-Q1 to {QueryValues.Latest.Year}-Q4."];
        }

        if (format is not (null or "json" or "csv"))
        {
            errors["format"] = ["json or csv."];
        }

        if (suppression is not (null or "default" or "nhs"))
        {
            errors["suppression"] = ["default (1–4 as c) or nhs (1–7 as c, others to the nearest 5)."];
        }

        ReportRequest.CheckAsOf(http, caller.Tenant, asOf, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var rule = suppression == "nhs" ? Suppression.Nhs : Suppression.Default;
        var document = await BuildAsync(source, caller.Tenant, quarter!, period!.Value, asOf, rule, suppression ?? "default", cancellationToken).ConfigureAwait(false);
        if (format != "csv")
        {
            return TypedResults.Ok(document);
        }

        http.Response.Headers.ContentDisposition = $"attachment; filename=\"quarterly-return-{quarter}.csv\"";
        return TypedResults.Text(Csv(document), "text/csv", Encoding.UTF8);
    }

    /// <summary>The return for a quarter (live, or as the log stood at the end of <paramref name="asOf"/>), counts suppressed by <paramref name="rule"/>: the API's and the dashboard's.</summary>
    public static async Task<QuarterlyReturnDocument> BuildAsync(ReportSource source, string tenant, string quarter, (DateOnly From, DateOnly To) period, DateOnly? asOf, Suppression rule, string suppressionName, CancellationToken cancellationToken)
    {
        var (from, to) = period;
        var query = new ReportQuery(tenant, from, to, asOf, null, null, null);
        await using var view = await source.OpenAsync(
            tenant, asOf, [CoverageProjection.ProjectionName, TimelinessProjection.ProjectionName, OutcomesProjection.ProjectionName, SatisfactionProjection.ProjectionName], cancellationToken).ConfigureAwait(false);
        var coverage = await CoverageEndpoints.QueryAsync(view, query, cancellationToken).ConfigureAwait(false);
        var timeliness = await TimelinessEndpoints.QueryAsync(view, query, null, null, cancellationToken).ConfigureAwait(false);
        var outcomes = await DeEscalationEndpoints.QueryAsync(view, query, cancellationToken).ConfigureAwait(false);
        var satisfaction = await SatisfactionEndpoints.QueryAsync(view, query, cancellationToken).ConfigureAwait(false);

        var lines = new List<ReturnLine>();
        void Add(string locality, string phase, string measure, string value) => lines.Add(new ReturnLine(quarter, locality, phase, measure, value));
        // A derived figure is written c when any count it is built on is suppressed: a rate over a
        // suppressed denominator (or with a suppressed numerator) would give the small count away.
        string Derived(double? value, params long?[] counts) => value is null
            ? string.Empty
            : rule.SuppressesAny(counts) ? "c" : value.Value.ToString("0.000", CultureInfo.InvariantCulture);
        foreach (var row in coverage.Rows.Append(coverage.Total))
        {
            Add(row.Locality, row.Phase, "settings_in_scope", rule.Count(row.SettingsInScope));
            Add(row.Locality, row.Phase, "settings_supported", rule.Count(row.SettingsSupported));
            Add(row.Locality, row.Phase, "coverage", Derived(row.Coverage, row.SettingsSupported, row.SettingsInScope));
            Add(row.Locality, row.Phase, "hours_delivered", row.HoursDelivered.ToString("0.0", CultureInfo.InvariantCulture));
            Add(row.Locality, row.Phase, "hours_share_of_entitlement", row.HoursShareOfEntitlement?.ToString("0.000", CultureInfo.InvariantCulture) ?? string.Empty);
        }

        var all = timeliness.Groups.Count > 0 ? timeliness.Groups[0] : null;
        var triage = all?.TimeToTriage ?? new ClockFigures(0, null, null, null);
        var contact = all?.TimeToFirstContact ?? new ClockFigures(0, null, null, null);
        Add("All", "All", "triaged", rule.Count(triage.Count));
        Add("All", "All", "triage_median_working_days", Derived(triage.Median, triage.Count));
        Add("All", "All", "triage_p90_working_days", Derived(triage.P90, triage.Count));
        Add("All", "All", "triage_within_standard", Derived(triage.ShareWithinStandard, triage.Count, triage.WithinStandard));
        Add("All", "All", "first_contacts", rule.Count(contact.Count));
        Add("All", "All", "first_contact_median_working_days", Derived(contact.Median, contact.Count));
        Add("All", "All", "first_contact_p90_working_days", Derived(contact.P90, contact.Count));
        Add("All", "All", "first_contact_within_standard", Derived(contact.ShareWithinStandard, contact.Count, contact.WithinStandard));
        Add("All", "All", "closed_except_withdrawn", rule.Count(outcomes.ClosedExceptWithdrawn));
        Add("All", "All", "de_escalation_rate", Derived(outcomes.DeEscalationRate, outcomes.ClosedExceptWithdrawn, outcomes.DeEscalated));
        Add("All", "All", "escalation_rate", Derived(outcomes.EscalationRate, outcomes.ClosedExceptWithdrawn, outcomes.Escalated));
        Add("All", "All", "repeat_rate", Derived(outcomes.RepeatRate, outcomes.IndividualRaised, outcomes.Repeats));
        Add("All", "All", "children_supported_without_plan", rule.Count(outcomes.ChildrenSupportedWithoutPlan));
        foreach (var (asked, figures) in new[] { ("settings", satisfaction.Total.Settings), ("families", satisfaction.Total.Families) })
        {
            Add("All", "All", $"{asked}_asked_for_feedback", rule.Count(figures.Asked));
            Add("All", "All", $"{asked}_feedback_responses", rule.Count(figures.Responses));
            Add("All", "All", $"{asked}_feedback_response_rate", Derived(figures.ResponseRate, figures.Asked, figures.Responses));
            Add("All", "All", $"{asked}_satisfied_share", Derived(figures.ShareSatisfied, figures.Responses, figures.Satisfied));
        }

        return new QuarterlyReturnDocument(quarter, from, to, asOf, view.LastEventPosition, suppressionName, lines);
    }

    /// <summary>The return as CSV, every cell neutralised against spreadsheet formulas.</summary>
    public static string Csv(QuarterlyReturnDocument document)
    {
        var csv = new StringBuilder("quarter,locality,phase,measure,value\n");
        foreach (var line in document.Lines)
        {
            csv.Append(CsvCells.Field(line.Quarter)).Append(',').Append(CsvCells.Field(line.Locality)).Append(',').Append(CsvCells.Field(line.Phase)).Append(',').Append(line.Measure).Append(',').Append(CsvCells.Field(line.Value)).Append('\n');
        }

        return csv.ToString();
    }
}
