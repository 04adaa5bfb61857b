using ExpertsAtHand.Service.Features.Requests;
using ExpertsAtHand.Service.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Npgsql;

namespace ExpertsAtHand.Service.Pages.Requests;

/// <summary>The triage queue for coordinators: urgent first, then least time left; requests waiting for information apart.</summary>
public sealed class TriageModel(NpgsqlDataSource dataSource, RequestRulesCatalog rules, TimeProvider clock) : PageModel
{
    public IReadOnlyList<QueueEntry> Queue { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var caller = Caller.From(User)!;
        if (!caller.Is(Roles.Coordinator))
        {
            return RedirectToPage("/NotAllowed");
        }

        Queue = await RequestList.TriageQueueAsync(dataSource, caller.Tenant, rules.For(caller.Tenant), clock, cancellationToken).ConfigureAwait(false);
        return Page();
    }
}
