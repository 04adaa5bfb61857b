using ExpertsAtHand.Domain.Clinics;
using ExpertsAtHand.Service.Features.Clinics;
using ExpertsAtHand.Service.Features.Settings;
using ExpertsAtHand.Service.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Npgsql;

namespace ExpertsAtHand.Service.Pages.Clinics;

/// <summary>One clinic for the coordinator and the practitioner running it: who booked, and which of them came.</summary>
public sealed class ClinicModel(ClinicBook book, NpgsqlDataSource dataSource) : PageModel
{
    public ClinicView Clinic { get; private set; } = null!;

    public Caller Caller { get; private set; } = null!;

    /// <summary>The booked settings by name.</summary>
    public IReadOnlyList<(string Urn, string Name)> Booked { get; private set; } = [];

    public bool MayTakeAttendance => ClinicBook.MayTakeAttendance(Caller, Clinic) && !Clinic.AttendanceTaken && Clinic.Booked.Count > 0;

    public bool Held => Clinic.Date <= book.Today(Caller);

    [BindProperty] public List<string> Attended { get; set; } = [];

    public List<(string Field, string Message)> Errors { get; } = [];

    [TempData] public string? Done { get; set; }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken) => await LoadAsync(id, cancellationToken).ConfigureAwait(false) switch
    {
        null => NotFound(),
        false => RedirectToPage("/NotAllowed"),
        true => Page(),
    };

    public async Task<IActionResult> OnPostAttendanceAsync(Guid id, CancellationToken cancellationToken)
    {
        switch (await LoadAsync(id, cancellationToken).ConfigureAwait(false))
        {
            case null:
                return NotFound();
            case false:
                return RedirectToPage("/NotAllowed");
        }

        if (!ClinicBook.MayTakeAttendance(Caller, Clinic))
        {
            return RedirectToPage("/NotAllowed");
        }

        switch (await book.DecideAsync(Caller, id, at => new RecordAttendance([.. Attended.Distinct(StringComparer.Ordinal)], Caller.Actor, at), cancellationToken).ConfigureAwait(false))
        {
            case ClinicOutcome.Done:
                Done = Attended.Count == 0 ? "Recorded that no booked setting came." : $"Attendance recorded: {Attended.Count} of {Clinic.Booked.Count} booked settings came.";
                return RedirectToPage(new { id });
            case ClinicOutcome.Refused refused:
                Errors.Add(("attended", refused.Reason));
                return Page();
            default:
                return NotFound();
        }
    }

    /// <summary>Null: no such clinic; false: not this caller's to see.</summary>
    private async Task<bool?> LoadAsync(Guid id, CancellationToken cancellationToken)
    {
        Caller = Caller.From(User)!;
        if (!Caller.Is(Roles.Coordinator, Roles.Practitioner))
        {
            return false;
        }

        if (await book.ReadAsync(Caller, id, cancellationToken).ConfigureAwait(false) is not { } clinic)
        {
            return null;
        }

        Clinic = clinic;
        var names = (await SettingNames.ForAsync(dataSource, Caller.Tenant, clinic.Booked, cancellationToken).ConfigureAwait(false)).ToDictionary(s => s.Urn, s => s.Name, StringComparer.Ordinal);
        Booked = [.. clinic.Booked.Select(urn => (urn, names.GetValueOrDefault(urn) ?? urn))];
        return true;
    }
}
