using ExpertsAtHand.Domain.Clinics;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.Features;
using ExpertsAtHand.Service.Features.Clinics;
using ExpertsAtHand.Service.Features.Practitioners;
using ExpertsAtHand.Service.Hosting;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Npgsql;

namespace ExpertsAtHand.Service.Pages.Clinics;

/// <summary>A coordinator schedules a consultation clinic or training, checked as the API checks it.</summary>
public sealed class NewModel(ClinicBook book, PractitionerDirectory practitioners, NpgsqlDataSource dataSource, IValidator<ScheduleClinicBody> validator) : PageModel
{
    [BindProperty] public ClinicKind? Kind { get; set; }
    [BindProperty] public string? Title { get; set; }
    [BindProperty] public Discipline? Discipline { get; set; }
    [BindProperty] public string? PractitionerId { get; set; }
    [BindProperty] public DateOnly? Date { get; set; }
    [BindProperty] public decimal? Hours { get; set; }
    [BindProperty] public int? Places { get; set; }
    [BindProperty] public string? Locality { get; set; }

    public IReadOnlyList<PractitionerView> Practitioners { get; private set; } = [];

    public IReadOnlyList<string> Localities { get; private set; } = [];

    public DateOnly Today { get; private set; }

    public List<(string Field, string Message)> Errors { get; } = [];

    public string? ErrorFor(string field) => Errors.FirstOrDefault(e => e.Field == field).Message;

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await PrepareAsync(cancellationToken).ConfigureAwait(false) is { } refused ? refused : Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (await PrepareAsync(cancellationToken).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        PageErrors.AddUnreadable(
            Errors,
            ModelState,
            (nameof(Date), $"Enter the date as year-month-day, such as {Today.AddDays(14):yyyy-MM-dd}."),
            (nameof(Hours), "Enter the hours as a number, such as 3 or 1.5."),
            (nameof(Places), "Enter the number of places as a whole number, such as 8."));
        var body = new ScheduleClinicBody(Kind, Title, Discipline, PractitionerId, Date, Hours, Places, Locality);
        PageErrors.AddFailures(Errors, (await validator.ValidateAsync(body, cancellationToken).ConfigureAwait(false)).Errors);
        if (Errors.Count > 0)
        {
            return Page();
        }

        var caller = Caller.From(User)!;
        var errors = new Dictionary<string, string[]>();
        var locality = await book.CheckScheduleAsync(HttpContext, caller, body, errors).ConfigureAwait(false);
        if (errors.Count > 0)
        {
            Errors.AddRange(errors.Select(e => (e.Key, e.Value[0])));
            return Page();
        }

        var id = Guid.CreateVersion7();
        switch (await book.DecideAsync(caller, id, at => new ScheduleClinic(id, Kind!.Value, Title!, Discipline!.Value, PractitionerId!, Date!.Value, Hours!.Value, Places!.Value, locality!, caller.Actor, at), cancellationToken).ConfigureAwait(false))
        {
            case ClinicOutcome.Done:
                TempData["Done"] = $"{Title} is scheduled for {Date:d MMMM yyyy}; settings can book its {Places} places now.";
                return Redirect($"/clinics/{id}");
            case ClinicOutcome.Refused no:
                Errors.Add(("title", no.Reason));
                return Page();
            default:
                return NotFound();
        }
    }

    private async Task<IActionResult?> PrepareAsync(CancellationToken cancellationToken)
    {
        var caller = Caller.From(User)!;
        if (!caller.Is(Roles.Coordinator))
        {
            return RedirectToPage("/NotAllowed");
        }

        Today = book.Today(caller);
        Practitioners = [.. (await practitioners.ListAsync(caller.Tenant, null, null, cancellationToken).ConfigureAwait(false)).Where(p => p.Active)];
        Localities = await AreaLocalities.ListAsync(dataSource, caller.Tenant, cancellationToken).ConfigureAwait(false);
        return null;
    }
}
