using ExpertsAtHand.Domain.Feedback;
using ExpertsAtHand.Service.Features.Feedback;
using ExpertsAtHand.Service.Features.Reports;
using ExpertsAtHand.Service.Hosting;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ExpertsAtHand.Service.Pages.Feedback;

/// <summary>"You said, we did": coordinators record what the service changed in answer to feedback; commissioners read it.</summary>
public sealed class IndexModel(ServiceChanges changes, IValidator<ServiceChangeBody> validator) : PageModel
{
    public IReadOnlyList<ServiceChange> Changes { get; private set; } = [];

    public bool MayRecord { get; private set; }

    [BindProperty] public FeedbackTheme? Theme { get; set; }
    [BindProperty] public string? YouSaid { get; set; }
    [BindProperty] public string? WeDid { get; set; }

    public List<(string Field, string Message)> Errors { get; } = [];

    public string? ErrorFor(string field) => Errors.FirstOrDefault(e => e.Field == field).Message;

    [TempData] public string? Done { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await LoadAsync(cancellationToken).ConfigureAwait(false) ? Page() : RedirectToPage("/NotAllowed");

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!await LoadAsync(cancellationToken).ConfigureAwait(false) || !MayRecord)
        {
            return RedirectToPage("/NotAllowed");
        }

        var body = new ServiceChangeBody(Theme, YouSaid, WeDid);
        PageErrors.AddFailures(Errors, (await validator.ValidateAsync(body, cancellationToken).ConfigureAwait(false)).Errors);
        if (Errors.Count > 0)
        {
            return Page();
        }

        await changes.RecordAsync(Caller.From(User)!, body, cancellationToken).ConfigureAwait(false);
        Done = "The change is recorded. Commissioners see it with the satisfaction figures.";
        return RedirectToPage();
    }

    private async Task<bool> LoadAsync(CancellationToken cancellationToken)
    {
        var caller = Caller.From(User)!;
        if (!caller.Is(Roles.Coordinator, Roles.Commissioner))
        {
            return false;
        }

        MayRecord = caller.Is(Roles.Coordinator);
        Changes = await changes.ListAsync(caller.Tenant, cancellationToken).ConfigureAwait(false);
        return true;
    }
}
