using ExpertsAtHand.Domain.Clinics;
using ExpertsAtHand.Service.Features.Clinics;
using ExpertsAtHand.Service.Features.Settings;
using ExpertsAtHand.Service.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Npgsql;

namespace ExpertsAtHand.Service.Pages.Clinics;

/// <summary>
/// Clinics and training: SENCOs book and give back their settings' places; coordinators and the
/// practitioners running them see who booked and record attendance once a clinic is held.
/// </summary>
public sealed class IndexModel(ClinicBook book, NpgsqlDataSource dataSource) : PageModel
{
    /// <summary>How far back a held clinic still waiting for its attendance is listed.</summary>
    private const int HeldWithinDays = 56;

    public Caller Caller { get; private set; } = null!;

    public IReadOnlyList<ClinicView> Upcoming { get; private set; } = [];

    /// <summary>Held clinics whose attendance is not recorded yet (coordinators, and the practitioner who ran each).</summary>
    public IReadOnlyList<ClinicView> AwaitingAttendance { get; private set; } = [];

    /// <summary>The SENCO's settings, whose places they book.</summary>
    public IReadOnlyList<(string Urn, string Name)> OwnSettings { get; private set; } = [];

    public List<(string Field, string Message)> Errors { get; } = [];

    [TempData] public string? Done { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await LoadAsync(cancellationToken).ConfigureAwait(false) ? Page() : RedirectToPage("/NotAllowed");

    public Task<IActionResult> OnPostBookAsync(Guid clinic, string urn, CancellationToken cancellationToken) =>
        ChangeAsync(clinic, urn, at => new BookPlace(urn, Caller.Actor, at), "booked a place at", cancellationToken);

    public Task<IActionResult> OnPostGiveBackAsync(Guid clinic, string urn, CancellationToken cancellationToken) =>
        ChangeAsync(clinic, urn, at => new CancelBooking(urn, Caller.Actor, at), "given back the place at", cancellationToken);

    private async Task<IActionResult> ChangeAsync(Guid clinic, string urn, Func<DateTimeOffset, ClinicCommand> command, string done, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(cancellationToken).ConfigureAwait(false) || !ClinicBook.MayBookFor(Caller, urn))
        {
            return RedirectToPage("/NotAllowed");
        }

        switch (await book.DecideAsync(Caller, clinic, command, cancellationToken).ConfigureAwait(false))
        {
            case ClinicOutcome.Done:
                var title = Upcoming.FirstOrDefault(c => c.Id == clinic)?.Title ?? "the clinic";
                Done = $"{OwnSettings.FirstOrDefault(s => s.Urn == urn).Name ?? urn} has {done} {title}.";
                return RedirectToPage();
            case ClinicOutcome.Refused refused:
                Errors.Add(($"clinic-{clinic}", refused.Reason));
                return Page();
            default:
                return NotFound();
        }
    }

    private async Task<bool> LoadAsync(CancellationToken cancellationToken)
    {
        Caller = Caller.From(User)!;
        if (!Caller.Is(Roles.Coordinator, Roles.Senco, Roles.Practitioner))
        {
            return false;
        }

        var today = book.Today(Caller);
        var clinics = await book.ListAsync(Caller, today.AddDays(-HeldWithinDays), cancellationToken).ConfigureAwait(false);
        Upcoming = [.. clinics.Where(c => c.Date >= today)];
        AwaitingAttendance = [.. clinics.Where(c => c.Date <= today && !c.AttendanceTaken && ClinicBook.MayTakeAttendance(Caller, c))];
        if (Caller.Is(Roles.Senco))
        {
            OwnSettings = await SettingNames.ForAsync(dataSource, Caller.Tenant, Caller.SettingUrns, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }
}
