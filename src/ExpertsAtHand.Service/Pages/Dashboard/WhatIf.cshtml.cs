using ExpertsAtHand.Domain.Allocation;
using ExpertsAtHand.Service.Features.Reports;
using ExpertsAtHand.Service.Features.Requests;
using ExpertsAtHand.Service.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ExpertsAtHand.Service.Pages.Dashboard;

/// <summary>
/// What a way of allocating would have done with the area's recorded demand and capacity, beside what
/// happened: the what-if report as a page, with its assumptions stated.
/// </summary>
public sealed class WhatIfModel(RecordedYearReader reader, RequestRulesCatalog rules, TimeProvider clock) : PageModel
{
    [BindProperty(SupportsGet = true)] public DateOnly? From { get; set; }
    [BindProperty(SupportsGet = true)] public DateOnly? To { get; set; }
    [BindProperty(SupportsGet = true)] public AllocationPolicy? Policy { get; set; }
    [BindProperty(SupportsGet = true)] public bool Outreach { get; set; }

    public WhatIfReport? Report { get; private set; }

    public List<(string Field, string Message)> Errors { get; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var caller = Caller.From(User)!;
        if (!caller.Is(Roles.Coordinator, Roles.Commissioner))
        {
            return RedirectToPage("/NotAllowed");
        }

        var area = rules.For(caller.Tenant);
        var today = area.LocalDate(clock.GetUtcNow());
        PageErrors.AddUnreadable(
            Errors,
            ModelState,
            (nameof(From), $"Enter the first day as a date, such as {today:yyyy-MM-dd}."),
            (nameof(To), $"Enter the last day as a date, such as {today:yyyy-MM-dd}."));
        if (Errors.Count > 0)
        {
            return Page();
        }

        if (Policy is null)
        {
            // Nothing asked yet: the form, with the academic year so far and the allocation engine.
            From ??= new DateOnly(EntitlementFormula.AcademicYear(today), 9, 1);
            To ??= today;
            Policy = AllocationPolicy.Fair;
            return Page();
        }

        var errors = new Dictionary<string, string[]>();
        ReportRequest.CheckPeriod(From, To, errors);
        if (errors.Count > 0)
        {
            Errors.AddRange(errors.Select(e => (e.Key, e.Value[0])));
            return Page();
        }

        var report = await WhatIfEndpoints.RunAsync(reader, area, caller.Tenant, From!.Value, To!.Value, Policy.Value, Outreach, null, cancellationToken).ConfigureAwait(false);
        Report = caller.Is(Roles.Commissioner) ? WhatIfEndpoints.Suppress(report, Suppression.Default) : report;
        return Page();
    }
}
