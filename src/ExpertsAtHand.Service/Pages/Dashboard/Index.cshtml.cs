using System.Text;
using ExpertsAtHand.Service.Features.Reports;
using ExpertsAtHand.Service.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ExpertsAtHand.Service.Pages.Dashboard;

/// <summary>
/// The commissioner's dashboard: coverage, timeliness, de-escalation and equity for a period, with
/// the reports' own filters and "as of", each figure as a chart and as a table; the quarterly return's
/// CSV. The same queries as the reports API, suppressed the same way for commissioners.
/// </summary>
public sealed class IndexModel(ReportSource source, TimeProvider clock, Features.Requests.RequestRulesCatalog rules, Npgsql.NpgsqlDataSource dataSource) : PageModel
{
    [BindProperty(SupportsGet = true)] public DateOnly? From { get; set; }
    [BindProperty(SupportsGet = true)] public DateOnly? To { get; set; }
    [BindProperty(SupportsGet = true)] public DateOnly? AsOf { get; set; }
    [BindProperty(SupportsGet = true)] public string? Locality { get; set; }
    [BindProperty(SupportsGet = true)] public string? Phase { get; set; }
    [BindProperty(SupportsGet = true)] public string? Discipline { get; set; }

    public List<(string Field, string Message)> Errors { get; } = [];

    public CoverageReport? Coverage { get; private set; }
    public TimelinessReport? Timeliness { get; private set; }
    public DeEscalationReport? Outcomes { get; private set; }
    public EquityReport? Equity { get; private set; }

    public TimelinessReport? TimelinessByProvider { get; private set; }

    public CapacityReport? Capacity { get; private set; }

    public SatisfactionReport? Satisfaction { get; private set; }

    public string CurrentQuarter { get; private set; } = string.Empty;

    /// <summary>The area's localities, for the locality filter.</summary>
    public IReadOnlyList<string> Localities { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var caller = Caller.From(User)!;
        if (!caller.Is(Roles.Coordinator, Roles.Commissioner))
        {
            return RedirectToPage("/NotAllowed");
        }

        var today = rules.For(caller.Tenant).LocalDate(clock.GetUtcNow());
        foreach (var (key, entry) in ModelState.Where(m => m.Value?.Errors.Count > 0))
        {
            // A date that does not read as one is named, never silently replaced by the default period.
            Errors.Add((char.ToLowerInvariant(key[0]) + key[1..], $"Enter {key switch { "From" => "the first day", "To" => "the last day", _ => "the day" }} as a date, such as {today:yyyy-MM-dd}."));
        }

        CurrentQuarter = $"{today.Year}-Q{((today.Month - 1) / 3) + 1}";
        Localities = await Features.AreaLocalities.ListAsync(dataSource, caller.Tenant, cancellationToken).ConfigureAwait(false);
        if (Errors.Count > 0)
        {
            return Page();
        }

        From ??= new DateOnly(today.Month >= 9 ? today.Year : today.Year - 1, 9, 1); // the academic year so far
        To ??= today;
        var (query, errors, forbidden) = await ReportRequest.ParseAsync(HttpContext, From, To, AsOf, Blank(Locality), Blank(Phase), Blank(Discipline)).ConfigureAwait(false);
        if (forbidden is not null)
        {
            return RedirectToPage("/NotAllowed");
        }

        if (query is null)
        {
            Errors.AddRange(errors.Select(e => (e.Key, e.Value[0])));
            return Page();
        }

        var rule = ReportSuppression.For(HttpContext);
        await using var view = await source.OpenAsync(query.Tenant, query.AsOf, [CoverageProjection.ProjectionName, TimelinessProjection.ProjectionName, OutcomesProjection.ProjectionName, CapacityProjection.ProjectionName, SatisfactionProjection.ProjectionName], cancellationToken).ConfigureAwait(false);
        Coverage = ReportSuppression.Apply(await CoverageEndpoints.QueryAsync(view, query, cancellationToken).ConfigureAwait(false), rule);
        Timeliness = ReportSuppression.Apply(await TimelinessEndpoints.QueryAsync(view, query, "locality", null, cancellationToken).ConfigureAwait(false), rule);
        Outcomes = ReportSuppression.Apply(await DeEscalationEndpoints.QueryAsync(view, query, cancellationToken).ConfigureAwait(false), rule);
        TimelinessByProvider = ReportSuppression.Apply(await TimelinessEndpoints.QueryAsync(view, query, "provider", null, cancellationToken).ConfigureAwait(false), rule);
        Equity = await EquityEndpoints.QueryAsync(view, query, 0.5, cancellationToken).ConfigureAwait(false);
        Capacity = ReportSuppression.Apply(await CapacityEndpoints.QueryAsync(view, query, rules.For(caller.Tenant).Calendar, cancellationToken).ConfigureAwait(false), rule);
        Satisfaction = SatisfactionEndpoints.Suppress(await SatisfactionEndpoints.QueryAsync(view, query, cancellationToken).ConfigureAwait(false), rule);
        return Page();
    }

    /// <summary>The quarterly return as a CSV attachment, for the quarter asked (the current one by default).</summary>
    public async Task<IActionResult> OnGetReturnAsync(string? quarter, CancellationToken cancellationToken)
    {
        var caller = Caller.From(User)!;
        if (!caller.Is(Roles.Coordinator, Roles.Commissioner))
        {
            return RedirectToPage("/NotAllowed");
        }

        if (QuarterlyReturnEndpoints.ParseQuarter(quarter) is not { } period)
        {
            return BadRequest();
        }

        var document = await QuarterlyReturnEndpoints.BuildAsync(source, caller.Tenant, quarter!, period, null, Suppression.Default, "default", cancellationToken).ConfigureAwait(false);
        return File(Encoding.UTF8.GetBytes(QuarterlyReturnEndpoints.Csv(document)), "text/csv", $"quarterly-return-{quarter}.csv");
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    /// <summary>Why a high-need setting is on the under-served list, in words.</summary>
    public static string WhyUnderServed(SettingShare setting) =>
        $"In the highest quarter of need (index {setting.NeedIndex.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)}) but had "
        + $"{setting.HoursDelivered.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)} of the {setting.ProRataEntitlementHours.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)} hours its share earned in the period"
        + (setting.HoursDelivered == 0 ? ": no support delivered." : $" ({BarChart.Percent(setting.HoursShareOfEntitlement)}).");
}
