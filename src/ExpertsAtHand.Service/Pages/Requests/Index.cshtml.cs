using ExpertsAtHand.Service.Features.Requests;
using ExpertsAtHand.Service.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Npgsql;

namespace ExpertsAtHand.Service.Pages.Requests;

/// <summary>The requests the signed-in person may see (a SENCO's settings', a practitioner's cases, the area's for coordinators), newest first.</summary>
public sealed class IndexModel(NpgsqlDataSource dataSource) : PageModel
{
    public const int PageSize = 25;

    public Paged<RequestSummary> Requests { get; private set; } = new([], 1, PageSize, 0);

    public Caller Caller { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(int? p, CancellationToken cancellationToken)
    {
        Caller = Caller.From(User)!;
        if (!Caller.Is(Roles.Senco, Roles.Coordinator, Roles.Practitioner))
        {
            return RedirectToPage("/NotAllowed");
        }

        Requests = await RequestList.ForAsync(dataSource, Caller, null, null, null, null, Math.Clamp(p ?? 1, 1, 100_000), PageSize, cancellationToken).ConfigureAwait(false);
        return Page();
    }

    /// <summary>A status in words, with the GOV.UK tag colour that says whether anyone is waiting on the reader.</summary>
    public static (string Words, string Colour) Status(Domain.Requests.RequestStatus status) => status switch
    {
        Domain.Requests.RequestStatus.AwaitingTriage => ("Waiting for triage", "govuk-tag--blue"),
        Domain.Requests.RequestStatus.AwaitingInformation => ("More information needed", "govuk-tag--orange"),
        Domain.Requests.RequestStatus.AwaitingAllocation => ("Accepted", "govuk-tag--turquoise"),
        Domain.Requests.RequestStatus.Allocated => ("Practitioner allocated", "govuk-tag--purple"),
        Domain.Requests.RequestStatus.InProgress => ("Support under way", "govuk-tag--green"),
        Domain.Requests.RequestStatus.Closed => ("Closed", "govuk-tag--grey"),
        _ => ("Withdrawn", "govuk-tag--grey"),
    };
}
