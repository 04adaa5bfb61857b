using ExpertsAtHand.Service.Features.Allocations;
using ExpertsAtHand.Service.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ExpertsAtHand.Service.Pages.Team;

/// <summary>The outreach list: high-need settings using little of their share and asking nothing, to contact rather than wait for.</summary>
public sealed class OutreachModel(EntitlementUse use) : PageModel
{
    [BindProperty(SupportsGet = true)] public int? QuietWeeks { get; set; }

    public IReadOnlyList<OutreachCandidate> Candidates { get; private set; } = [];

    public List<(string Field, string Message)> Errors { get; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var caller = Caller.From(User)!;
        if (!caller.Is(Roles.Coordinator, Roles.Commissioner))
        {
            return RedirectToPage("/NotAllowed");
        }

        if (ModelState[nameof(QuietWeeks)]?.Errors.Count > 0 || QuietWeeks is < 1 or > 52)
        {
            Errors.Add(("quietWeeks", "From 1 to 52 weeks."));
            return Page();
        }

        Candidates = await use.OutreachAsync(caller.Tenant, QuietWeeks ?? 12, 0.25m, cancellationToken).ConfigureAwait(false);
        return Page();
    }
}
