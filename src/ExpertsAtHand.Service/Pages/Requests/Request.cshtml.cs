using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.Features.Privacy;
using ExpertsAtHand.Service.Features.Requests;
using ExpertsAtHand.Service.Hosting;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ExpertsAtHand.Service.Pages.Requests;

/// <summary>One request as the people working on it read it: what was asked, where it stands, its timeline; the SENCO answers a question here.</summary>
public sealed class RequestModel(
    IDocumentStore store,
    DetailKeys keys,
    RequestCommandHandler handler,
    IValidator<ProvideInformationBody> validator,
    IValidator<TriageBody> triageValidator,
    IValidator<RecordContactBody> contactValidator,
    IValidator<CloseBody> closeValidator,
    Features.Allocations.AllocationPlanner planner,
    TimeProvider clock) : PageModel
{
    public RequestView View { get; private set; } = null!;

    public IReadOnlyList<TimelineEntry> Timeline { get; private set; } = [];

    public string? Question { get; private set; }

    public Caller Caller { get; private set; } = null!;

    [BindProperty] public string? Answer { get; set; }

    [BindProperty] public long Version { get; set; }

    // The triage decision's fields (coordinators, while the request waits for triage).
    [BindProperty] public TriageOutcome? Decision { get; set; }
    [BindProperty] public string? Rationale { get; set; }
    [BindProperty] public SupportType? SupportType { get; set; }
    [BindProperty] public List<Discipline> Disciplines { get; set; } = [];
    [BindProperty] public Priority? Priority { get; set; }
    [BindProperty] public SpecialistPathway? Pathway { get; set; }
    [BindProperty] public string? Signposting { get; set; }

    public string? ErrorFor(string field) => Errors.FirstOrDefault(e => e.Field == field).Message;

    // A practitioner's contact and closure.
    [BindProperty] public DateOnly? ContactDate { get; set; }
    [BindProperty] public int? DurationMinutes { get; set; }
    [BindProperty] public ContactMode? Mode { get; set; }
    [BindProperty] public List<Attendee> Attended { get; set; } = [];
    [BindProperty] public ClosureOutcome? Outcome { get; set; }
    [BindProperty] public string? Note { get; set; }

    /// <summary>The allocated practitioner may record contacts and close (and a coordinator may close) once support has a practitioner.</summary>
    public bool MayRecordContact => Caller.Is(Roles.Practitioner) && View.Status is RequestStatus.Allocated or RequestStatus.InProgress && View.Practitioners.Contains(Caller.PractitionerId ?? string.Empty);

    public bool MayClose => (MayRecordContact || Caller.Is(Roles.Coordinator)) && View.Status is RequestStatus.AwaitingAllocation or RequestStatus.Allocated or RequestStatus.InProgress;

    public DateOnly Today => DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);

    /// <summary>For coordinators: each accepted discipline still without a practitioner, with the engine's suggestion now (null: it would not allocate now).</summary>
    public IReadOnlyList<(Discipline Discipline, Domain.Allocation.Proposal? Suggestion)> Allocation { get; private set; } = [];

    public List<(string Field, string Message)> Errors { get; } = [];

    /// <summary>Someone else changed the request between this page being shown and the answer sent.</summary>
    public bool ChangedMeanwhile { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken) =>
        await LoadAsync(id, cancellationToken).ConfigureAwait(false) ? Page() : NotFound();

    public async Task<IActionResult> OnPostAnswerAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken).ConfigureAwait(false))
        {
            return NotFound();
        }

        var body = new ProvideInformationBody(Answer);
        foreach (var error in (await validator.ValidateAsync(body, cancellationToken).ConfigureAwait(false)).Errors)
        {
            Errors.Add(("answer", error.ErrorMessage));
        }

        if (Errors.Count > 0 || !Caller.Is(Roles.Senco))
        {
            return Page();
        }

        return await AnswerAsync(id, await handler.HandleAsync(id, Version, Caller, at => new ProvideInformation(Answer!, Caller.Actor, at), cancellationToken).ConfigureAwait(false), "answer", cancellationToken).ConfigureAwait(false);
    }

    public async Task<IActionResult> OnPostTriageAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken).ConfigureAwait(false))
        {
            return NotFound();
        }

        if (!Caller.Is(Roles.Coordinator))
        {
            return RedirectToPage("/NotAllowed");
        }

        var body = new TriageBody(Decision, Rationale, SupportType, Disciplines, Priority, Pathway, Signposting);
        foreach (var error in (await triageValidator.ValidateAsync(body, cancellationToken).ConfigureAwait(false)).Errors.DistinctBy(e => e.PropertyName))
        {
            Errors.Add((HttpConventions.JsonPath(error.PropertyName), error.ErrorMessage));
        }

        if (Errors.Count > 0)
        {
            return Page();
        }

        return await AnswerAsync(id, await handler.HandleAsync(id, Version, Caller, at => TriageDecision.Command(body, Caller, at), cancellationToken).ConfigureAwait(false), "decision", cancellationToken).ConfigureAwait(false);
    }

    public async Task<IActionResult> OnPostContactAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken).ConfigureAwait(false))
        {
            return NotFound();
        }

        var body = new RecordContactBody(ContactDate, DurationMinutes, Mode, Attended);
        Validate((await contactValidator.ValidateAsync(body, cancellationToken).ConfigureAwait(false)).Errors, field => field == "date" ? "contactDate" : field);
        if (Errors.Count > 0)
        {
            return Page();
        }

        return await AnswerAsync(
            id,
            await handler.HandleAsync(id, Version, Caller, at => new RecordContact(Guid.CreateVersion7(), ContactDate!.Value, DurationMinutes!.Value, Mode!.Value, Attended, Caller.PractitionerId ?? string.Empty, Caller.Actor, at), cancellationToken).ConfigureAwait(false),
            "contactDate",
            cancellationToken).ConfigureAwait(false);
    }

    public async Task<IActionResult> OnPostCloseAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken).ConfigureAwait(false))
        {
            return NotFound();
        }

        var body = new CloseBody(Outcome, Note);
        Validate((await closeValidator.ValidateAsync(body, cancellationToken).ConfigureAwait(false)).Errors, field => field);
        if (Errors.Count > 0)
        {
            return Page();
        }

        return await AnswerAsync(id, await handler.HandleAsync(id, Version, Caller, at => new CloseRequest(Outcome!.Value, Note!, Caller.Actor, at), cancellationToken).ConfigureAwait(false), "outcome", cancellationToken).ConfigureAwait(false);
    }

    private void Validate(IEnumerable<FluentValidation.Results.ValidationFailure> failures, Func<string, string> field)
    {
        foreach (var failure in failures.DistinctBy(f => f.PropertyName))
        {
            Errors.Add((field(HttpConventions.JsonPath(failure.PropertyName)), failure.ErrorMessage));
        }
    }

    /// <summary>The coordinator follows the engine's suggestion for one discipline, as it stands now.</summary>
    public async Task<IActionResult> OnPostAllocateAsync(Guid id, Discipline discipline, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken).ConfigureAwait(false))
        {
            return NotFound();
        }

        if (!Caller.Is(Roles.Coordinator))
        {
            return RedirectToPage("/NotAllowed");
        }

        var plan = await planner.PlanAsync(Caller.Tenant, cancellationToken).ConfigureAwait(false);
        var suggested = plan.Result.Proposals.FirstOrDefault(p => plan.DemandIds[p.RequestId] == new Features.Allocations.DemandFor(id, discipline));
        if (suggested is null)
        {
            Errors.Add(("allocation", "The engine would not allocate this now (other requests rank first, or no practitioner has the hours)."));
            return Page();
        }

        return await AnswerAsync(
            id,
            await handler.HandleAsync(id, Version, Caller, at => new AllocatePractitioner(suggested.PractitionerId, discipline, Caller.Actor, at, Guid.CreateVersion7(), suggested.Hours, suggested.Ranking), cancellationToken).ConfigureAwait(false),
            "allocation",
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>After a command: back to the request, or the page again with why not (a change meanwhile keeps what was typed).</summary>
    private async Task<IActionResult> AnswerAsync(Guid id, CommandResult result, string field, CancellationToken cancellationToken)
    {
        switch (result)
        {
            case CommandResult.Done:
                return Redirect($"/requests/{id}");
            case CommandResult.Stale:
                ChangedMeanwhile = true;
                await LoadAsync(id, cancellationToken).ConfigureAwait(false);
                return Page();
            case CommandResult.Refused refused:
                Errors.Add((field, refused.Reason));
                return Page();
            default:
                return NotFound();
        }
    }

    private async Task<bool> LoadAsync(Guid id, CancellationToken cancellationToken)
    {
        Caller = Caller.From(User)!;
        if (!Caller.Is(Roles.Senco, Roles.Coordinator, Roles.Practitioner))
        {
            return false;
        }

        if (await RequestScope.ReadVisibleAsync(store, Caller, id, cancellationToken).ConfigureAwait(false) is not { } events)
        {
            return false;
        }

        var opened = await keys.OpenAsync(Caller.Tenant, [.. events.Select(e => e.Data)], cancellationToken).ConfigureAwait(false);
        View = RequestViews.Build(id, events[^1].Version, opened);
        Timeline = RequestViews.Timeline(events, opened);
        Question = View.Status == RequestStatus.AwaitingInformation ? opened.OfType<InformationRequested>().LastOrDefault()?.Question : null;
        if (Caller.Is(Roles.Coordinator) && View.Status is RequestStatus.AwaitingAllocation or RequestStatus.Allocated or RequestStatus.InProgress)
        {
            var plan = await planner.PlanAsync(Caller.Tenant, cancellationToken).ConfigureAwait(false);
            var allocated = View.Allocations.Select(a => a.Discipline).ToHashSet();
            Allocation =
            [
                .. View.Disciplines.Where(d => !allocated.Contains(d)).Select(d => (d, plan.Result.Proposals.FirstOrDefault(p => plan.DemandIds[p.RequestId] == new Features.Allocations.DemandFor(id, d)))),
            ];
        }

        if (ChangedMeanwhile || HttpMethods.IsGet(Request.Method))
        {
            Version = View.Version; // the version the next command is made against: what this page shows
        }

        return true;
    }
}
