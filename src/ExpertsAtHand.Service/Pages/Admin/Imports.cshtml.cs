using ExpertsAtHand.Service.Features.Practitioners;
using ExpertsAtHand.Service.Features.Settings;
using ExpertsAtHand.Service.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ExpertsAtHand.Service.Pages.Admin;

/// <summary>
/// Imports of settings (a GIAS extract or our CSV) and practitioners (CSV), checked whole before
/// anything is written: a file with bad rows is refused with every problem by line; a good one is
/// reported line by line (registered, changed, unchanged).
/// </summary>
[RequestSizeLimit(ImportsModel.MostBytes)]
public sealed class ImportsModel(Marten.IDocumentStore store, IConfiguration configuration, TimeProvider clock) : PageModel
{
    /// <summary>As large as the API's CSV imports (the form's own fields add little).</summary>
    public const long MostBytes = HardenedEdges.ImportBodyLimit + (64 * 1024);

    public string? What { get; private set; }

    public ImportReport? Report { get; private set; }

    /// <summary>Each line's problems, as the API words them.</summary>
    public IReadOnlyList<ImportRowError> RowErrors { get; private set; } = [];

    public List<(string Field, string Message)> Errors { get; } = [];

    public IActionResult OnGet() => Caller.From(User)!.Is(Roles.Administrator, Roles.Coordinator) ? Page() : RedirectToPage("/NotAllowed");

    public async Task<IActionResult> OnPostSettingsAsync(IFormFile? file, CancellationToken cancellationToken)
    {
        var caller = Caller.From(User)!;
        if (!caller.Is(Roles.Administrator))
        {
            return RedirectToPage("/NotAllowed");
        }

        What = "settings";
        if (Check(file, "settingsFile") is not { } upload)
        {
            return Page();
        }

        await using var stream = upload.OpenReadStream();
        var (parsed, errors) = SettingsImport.Parse(stream, SettingsImporter.OptionsFor(configuration, caller.Tenant));
        if (Refused(errors, "settingsFile"))
        {
            return Page();
        }

        Report = await SettingsImporter.ImportAsync(store, caller.Tenant, caller.Actor, parsed, clock.GetUtcNow(), null, cancellationToken).ConfigureAwait(false);
        return Page();
    }

    public async Task<IActionResult> OnPostPractitionersAsync(IFormFile? file, CancellationToken cancellationToken)
    {
        var caller = Caller.From(User)!;
        if (!caller.Is(Roles.Administrator, Roles.Coordinator))
        {
            return RedirectToPage("/NotAllowed");
        }

        What = "practitioners";
        if (Check(file, "practitionersFile") is not { } upload)
        {
            return Page();
        }

        await using var stream = upload.OpenReadStream();
        var (parsed, errors) = PractitionersImport.Parse(stream);
        if (Refused(errors, "practitionersFile"))
        {
            return Page();
        }

        Report = await PractitionersImport.ImportAsync(store, caller.Tenant, caller.Actor, parsed, clock.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return Page();
    }

    private IFormFile? Check(IFormFile? file, string field)
    {
        if (file is null || file.Length == 0)
        {
            Errors.Add((field, "Choose a CSV file to import."));
            return null;
        }

        return file;
    }

    private bool Refused(IReadOnlyList<ImportRowError> errors, string field)
    {
        if (errors.Count == 0)
        {
            return false;
        }

        RowErrors = errors;
        Errors.Add((field, $"{errors.Select(e => e.Line).Distinct().Count()} row(s) are not valid; nothing was imported. Each problem is listed below by line."));
        return true;
    }
}
