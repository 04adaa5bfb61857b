using ExpertsAtHand.Service.Features.Requests;
using ExpertsAtHand.Service.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Npgsql;

namespace ExpertsAtHand.Service.Pages.Requests;

/// <summary>The confirmation page after raising a request: its reference and what happens next.</summary>
public sealed class ConfirmationModel(NpgsqlDataSource dataSource) : PageModel
{
    public Guid Id { get; private set; }

    public string Reference { get; private set; } = string.Empty;

    public DateOnly TriageDueBy { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        var caller = Caller.From(User)!;
        var page = await RequestList.ForAsync(dataSource, caller, null, null, null, null, 1, 1, cancellationToken, id).ConfigureAwait(false);
        if (page.Items is not [var request])
        {
            return NotFound();
        }

        (Id, Reference, TriageDueBy) = (request.Id, request.Reference ?? request.Id.ToString()[..8], request.TriageDueBy);
        return Page();
    }
}
