using ExpertsAtHand.Service.Features.Practitioners;
using ExpertsAtHand.Service.Hosting;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ExpertsAtHand.Service.Pages.Team;

/// <summary>The practitioners and their absences: an absence takes the practitioner's hours out of allocation and capacity for those days.</summary>
public sealed class IndexModel(PractitionerDirectory directory, IValidator<AbsenceBody> validator, Features.Requests.RequestRulesCatalog rules, TimeProvider clock) : PageModel
{
    public IReadOnlyList<PractitionerView> Practitioners { get; private set; } = [];

    public IReadOnlyList<AbsenceListing> Absences { get; private set; } = [];

    public DateOnly Today { get; private set; }

    [BindProperty] public string? PractitionerId { get; set; }
    [BindProperty] public DateOnly? From { get; set; }
    [BindProperty] public DateOnly? To { get; set; }
    [BindProperty] public string? Reason { get; set; }

    public List<(string Field, string Message)> Errors { get; } = [];

    public string? ErrorFor(string field) => Errors.FirstOrDefault(e => e.Field == field).Message;

    [TempData] public string? Done { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await LoadAsync(cancellationToken).ConfigureAwait(false) ? Page() : RedirectToPage("/NotAllowed");

    public async Task<IActionResult> OnPostAbsenceAsync(CancellationToken cancellationToken)
    {
        if (!await LoadAsync(cancellationToken).ConfigureAwait(false))
        {
            return RedirectToPage("/NotAllowed");
        }

        PageErrors.AddUnreadable(
            Errors,
            ModelState,
            (nameof(From), $"Enter the first day as year-month-day, such as {Today:yyyy-MM-dd}."),
            (nameof(To), $"Enter the last day as year-month-day, such as {Today:yyyy-MM-dd}."));
        var practitioner = Practitioners.FirstOrDefault(p => p.Id == PractitionerId);
        if (practitioner is null)
        {
            Errors.Add(("practitionerId", "Choose the practitioner who will be away."));
        }

        var body = new AbsenceBody(From, To, Reason);
        PageErrors.AddFailures(Errors, (await validator.ValidateAsync(body, cancellationToken).ConfigureAwait(false)).Errors);
        if (Errors.Count > 0)
        {
            return Page();
        }

        var caller = Caller.From(User)!;
        await directory.RecordAbsenceAsync(caller, practitioner!.Id, Guid.CreateVersion7(), body, clock.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        Done = $"{practitioner.Name} is recorded as away from {From:d MMMM yyyy} to {To:d MMMM yyyy}. Allocation suggestions and capacity leave those days out.";
        return RedirectToPage();
    }

    private async Task<bool> LoadAsync(CancellationToken cancellationToken)
    {
        var caller = Caller.From(User)!;
        if (!caller.Is(Roles.Coordinator, Roles.Administrator))
        {
            return false;
        }

        Today = rules.For(caller.Tenant).LocalDate(clock.GetUtcNow());
        Practitioners = await directory.ListAsync(caller.Tenant, null, null, cancellationToken).ConfigureAwait(false);
        Absences = await directory.AbsencesAsync(caller.Tenant, Today, cancellationToken).ConfigureAwait(false);
        return true;
    }
}
