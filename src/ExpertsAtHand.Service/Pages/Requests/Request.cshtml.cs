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
    Features.Allocations.AllocationChoice choice,
    IValidator<AllocateBody> allocateValidator,
    Features.Practitioners.PractitionerDirectory practitioners,
    Features.Feedback.FeedbackCommandHandler feedback,
    IValidator<Features.Feedback.SettingFeedbackBody> feedbackValidator,
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

    /// <summary>For coordinators: the active practitioners of each discipline still to allocate, to choose other than the suggestion.</summary>
    public IReadOnlyDictionary<Discipline, IReadOnlyList<Features.Practitioners.PractitionerView>> Choices { get; private set; } = new Dictionary<Discipline, IReadOnlyList<Features.Practitioners.PractitionerView>>();

    // Choosing other than the engine's suggestion.
    [BindProperty] public string? OtherPractitioner { get; set; }
    [BindProperty] public decimal? OtherHours { get; set; }
    [BindProperty] public string? OverrideReason { get; set; }

    /// <summary>The discipline whose "choose someone else" form was sent, kept open with its errors.</summary>
    public Discipline? Overriding { get; private set; }

    public List<(string Field, string Message)> Errors { get; } = [];

    /// <summary>The engine's view of the area when this page was built (coordinators, while a discipline waits): shown, and followed or overridden.</summary>
    private Features.Allocations.Plan? _plan;

    /// <summary>The feedback on the request (its setting's SENCO and coordinators see it), its current episode first.</summary>
    public IReadOnlyList<Features.Feedback.FeedbackView> Feedback { get; private set; } = [];

    /// <summary>The episode of support now (a reopened request starts another).</summary>
    public int Episode { get; private set; } = 1;

    /// <summary>The SENCO may say how the support went: the request is closed and the setting has not answered for this episode.</summary>
    public bool MayGiveFeedback => Caller.Is(Roles.Senco) && View.Status == RequestStatus.Closed && !Feedback.Any(f => f.Source == "Setting" && f.Episode == Episode);

    /// <summary>The SENCO may hand the family a code: a closed request about one child the family has not answered on.</summary>
    public bool MayInviteFamily => Caller.Is(Roles.Senco) && View.Status == RequestStatus.Closed && View.Level == RequestLevel.Individual && !Feedback.Any(f => f.Source == "Family" && f.Episode == Episode);

    [BindProperty] public Domain.Feedback.SatisfactionRating? Rating { get; set; }
    [BindProperty] public bool? AdviceUsed { get; set; }
    [BindProperty] public string? FeedbackComment { get; set; }

    /// <summary>The short code just made for the family, shown once.</summary>
    [TempData] public string? FamilyCode { get; set; }

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

    private void Validate(IEnumerable<FluentValidation.Results.ValidationFailure> failures, Func<string, string> field) => PageErrors.AddFailures(Errors, failures, field);

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

        // The engine's view this page was built on (LoadAsync made it): follow its suggestion as it stands.
        if (_plan?.SuggestionFor(id, discipline) is not { } suggested)
        {
            Errors.Add(("allocation", "The engine would not allocate this now (other requests rank first, or no practitioner has the hours)."));
            return Page();
        }

        var (command, refused) = await choice.DecideAsync(Caller, id, new AllocateBody(suggested.PractitionerId, discipline), _plan, cancellationToken).ConfigureAwait(false);
        if (command is null)
        {
            Errors.AddRange(refused.Select(e => ("allocation", e.Value[0])));
            return Page();
        }

        return await AnswerAsync(id, await handler.HandleAsync(id, Version, Caller, command, cancellationToken).ConfigureAwait(false), "allocation", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The coordinator chooses other than the engine: a practitioner of the discipline and a reason, which is recorded.</summary>
    public async Task<IActionResult> OnPostOverrideAsync(Guid id, Discipline discipline, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken).ConfigureAwait(false))
        {
            return NotFound();
        }

        if (!Caller.Is(Roles.Coordinator))
        {
            return RedirectToPage("/NotAllowed");
        }

        Overriding = discipline;
        var body = new AllocateBody(OtherPractitioner, discipline, OtherHours, OverrideReason);
        var suffix = "-" + discipline;
        if (ModelState[nameof(OtherHours)]?.Errors.Count > 0)
        {
            Errors.Add(("otherHours" + suffix, "Enter the hours as a number, such as 6 or 4.5."));
            return Page();
        }

        Validate((await allocateValidator.ValidateAsync(body, cancellationToken).ConfigureAwait(false)).Errors, field => OverrideField(field) + suffix);
        if (string.IsNullOrWhiteSpace(OverrideReason) && Errors.Count == 0)
        {
            // The reason is what makes an override accountable: asked for even when the choice happens to match.
            Errors.Add(("overrideReason" + suffix, "Give the reason for choosing other than the engine's suggestion; it is recorded."));
        }

        if (Errors.Count > 0)
        {
            return Page();
        }

        var (command, refused) = await choice.DecideAsync(Caller, id, body, _plan, cancellationToken).ConfigureAwait(false);
        if (command is null)
        {
            Errors.AddRange(refused.Select(e => (OverrideField(e.Key) + suffix, e.Value[0])));
            return Page();
        }

        return await AnswerAsync(id, await handler.HandleAsync(id, Version, Caller, command, cancellationToken).ConfigureAwait(false), "overrideReason" + suffix, cancellationToken).ConfigureAwait(false);
    }

    private static string OverrideField(string apiField) => apiField switch
    {
        "practitionerId" => "otherPractitioner",
        "hours" => "otherHours",
        "discipline" => "otherPractitioner",
        _ => apiField,
    };

    /// <summary>The SENCO says how the support went, once per episode, in the API's words when refused.</summary>
    public async Task<IActionResult> OnPostFeedbackAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken).ConfigureAwait(false))
        {
            return NotFound();
        }

        if (!Caller.Is(Roles.Senco))
        {
            return RedirectToPage("/NotAllowed");
        }

        var body = new Features.Feedback.SettingFeedbackBody(Rating, AdviceUsed, FeedbackComment);
        Validate((await feedbackValidator.ValidateAsync(body, cancellationToken).ConfigureAwait(false)).Errors, field => field == "comment" ? "feedbackComment" : field);
        if (Errors.Count > 0)
        {
            return Page();
        }

        var give = new Domain.Feedback.GiveSettingFeedback(Guid.CreateVersion7(), Rating!.Value, AdviceUsed, Features.Feedback.FeedbackCommandHandler.Comment(FeedbackComment), Caller.Actor, clock.GetUtcNow());
        var result = await feedback.HandleAsync(Caller.Tenant, Caller.Actor, id, state => Features.Feedback.FeedbackCommandHandler.IsTheSettingsSenco(Caller, state), give, cancellationToken).ConfigureAwait(false);
        return await FeedbackAnswerAsync(id, result, "rating", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The SENCO asks the family: a short code to hand them, shown once, for the family's own page.</summary>
    public async Task<IActionResult> OnPostInviteFamilyAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken).ConfigureAwait(false))
        {
            return NotFound();
        }

        if (!Caller.Is(Roles.Senco))
        {
            return RedirectToPage("/NotAllowed");
        }

        var (result, invited, shortCode) = await feedback.InviteFamilyAsync(Caller, id, clock.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (result is Features.Feedback.FeedbackResult.Done)
        {
            // The short code reads the same as the API's signed link; it is shown once and never stored (only its hash is).
            FamilyCode = $"{shortCode}|{invited.ExpiresAt.ToString("d MMMM yyyy", System.Globalization.CultureInfo.InvariantCulture)}";
        }

        return await FeedbackAnswerAsync(id, result, "family", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A coordinator tags what a piece of feedback is about; the themes are counted in the satisfaction figures, the comment never leaves the case.</summary>
    public async Task<IActionResult> OnPostThemesAsync(Guid id, Guid feedbackId, List<Domain.Feedback.FeedbackTheme> themes, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken).ConfigureAwait(false))
        {
            return NotFound();
        }

        if (!Caller.Is(Roles.Coordinator))
        {
            return RedirectToPage("/NotAllowed");
        }

        var result = await feedback.HandleAsync(Caller.Tenant, Caller.Actor, id, _ => true, new Domain.Feedback.TagFeedbackThemes(feedbackId, [.. themes.Distinct()], Caller.Actor, clock.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        return await FeedbackAnswerAsync(id, result, $"themes-{feedbackId}", cancellationToken).ConfigureAwait(false);
    }

    private async Task<IActionResult> FeedbackAnswerAsync(Guid id, Features.Feedback.FeedbackResult result, string field, CancellationToken cancellationToken) => result switch
    {
        Features.Feedback.FeedbackResult.Done => Redirect($"/requests/{id}#feedback-given"),
        Features.Feedback.FeedbackResult.Refused refused => await WithErrorAsync(field, refused.Reason).ConfigureAwait(false),
        Features.Feedback.FeedbackResult.Stale => await AnswerAsync(id, new CommandResult.Stale(0), field, cancellationToken).ConfigureAwait(false),
        _ => NotFound(),
    };

    private Task<IActionResult> WithErrorAsync(string field, string message)
    {
        Errors.Add((field, message));
        return Task.FromResult<IActionResult>(Page());
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
        if (Caller.Is(Roles.Senco, Roles.Coordinator))
        {
            Feedback = [.. Features.Feedback.FeedbackCommandHandler.Views(opened).OrderByDescending(f => f.Episode).ThenBy(f => f.GivenAt)];
            Episode = 1 + opened.Count(e => e is RequestReopened);
        }
        if (Caller.Is(Roles.Coordinator) && View.Status is RequestStatus.AwaitingAllocation or RequestStatus.Allocated or RequestStatus.InProgress)
        {
            _plan = await planner.PlanAsync(Caller.Tenant, cancellationToken).ConfigureAwait(false);
            var allocated = View.Allocations.Select(a => a.Discipline).ToHashSet();
            Allocation = [.. View.Disciplines.Where(d => !allocated.Contains(d)).Select(d => (d, _plan.SuggestionFor(id, d)))];
            var active = (await practitioners.ListAsync(Caller.Tenant, null, null, cancellationToken).ConfigureAwait(false)).Where(p => p.Active).ToList();
            Choices = Allocation.ToDictionary(a => a.Discipline, a => (IReadOnlyList<Features.Practitioners.PractitionerView>)[.. active.Where(p => p.Discipline == a.Discipline)]);
        }

        if (ChangedMeanwhile || HttpMethods.IsGet(Request.Method))
        {
            Version = View.Version; // the version the next command is made against: what this page shows
        }

        return true;
    }
}
