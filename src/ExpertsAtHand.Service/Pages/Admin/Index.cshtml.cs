using ExpertsAtHand.Service.EventLog;
using ExpertsAtHand.Service.Features.Admin;
using ExpertsAtHand.Service.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Npgsql;

namespace ExpertsAtHand.Service.Pages.Admin;

/// <summary>The administrator's view of the service: how far each report projection has read the log, and the messages that failed for good, to replay or discard.</summary>
public sealed class IndexModel(NpgsqlDataSource dataSource, DeadLetterBox letters) : PageModel
{
    public IReadOnlyList<ProjectionPosition> Projections { get; private set; } = [];

    public IReadOnlyList<DeadLetter> DeadLetters { get; private set; } = [];

    /// <summary>What the last action did, for the notification banner.</summary>
    [TempData] public string? Done { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var caller = Caller.From(User)!;
        if (!caller.Is(Roles.Administrator))
        {
            return RedirectToPage("/NotAllowed");
        }

        Projections = await ProjectionProgress.ReadAsync(dataSource, MartenAndWolverine.ReportProjectionNames, cancellationToken).ConfigureAwait(false);
        DeadLetters = await letters.ListAsync(caller.Tenant, 100, cancellationToken).ConfigureAwait(false);
        return Page();
    }

    public async Task<IActionResult> OnPostReplayAsync(Guid id, CancellationToken cancellationToken) =>
        await ActAsync(id, (caller, ct) => letters.ReplayAsync(id, caller.Tenant, ct), "Put back in its queue: it is tried again within seconds.", cancellationToken).ConfigureAwait(false);

    public async Task<IActionResult> OnPostDiscardAsync(Guid id, CancellationToken cancellationToken) =>
        await ActAsync(id, (caller, ct) => letters.DiscardAsync(id, caller.Tenant, ct), "Discarded for good.", cancellationToken).ConfigureAwait(false);

    private async Task<IActionResult> ActAsync(Guid id, Func<Caller, CancellationToken, Task<bool>> act, string done, CancellationToken cancellationToken)
    {
        var caller = Caller.From(User)!;
        if (!caller.Is(Roles.Administrator))
        {
            return RedirectToPage("/NotAllowed");
        }

        Done = await act(caller, cancellationToken).ConfigureAwait(false) ? $"Message {id.ToString()[..8]}: {done}" : "That message is no longer there (someone else acted on it).";
        return RedirectToPage();
    }
}
