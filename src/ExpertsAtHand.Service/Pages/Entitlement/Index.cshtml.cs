using ExpertsAtHand.Service.Features.Allocations;
using ExpertsAtHand.Service.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ExpertsAtHand.Service.Pages.Entitlement;

/// <summary>A SENCO's setting: its share of the offer this academic year and how much of it it has had.</summary>
public sealed class IndexModel(EntitlementUse use) : PageModel
{
    public DateOnly YearStart { get; private set; }

    public IReadOnlyList<SettingYear> Settings { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var caller = Caller.From(User)!;
        if (!caller.Is(Roles.Senco))
        {
            return RedirectToPage("/NotAllowed");
        }

        (YearStart, Settings) = await use.ThisYearAsync(caller.Tenant, caller.SettingUrns, cancellationToken).ConfigureAwait(false);
        return Page();
    }
}
