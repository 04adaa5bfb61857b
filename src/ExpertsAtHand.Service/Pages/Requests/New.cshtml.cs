using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.Features.Requests;
using ExpertsAtHand.Service.Hosting;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Npgsql;

namespace ExpertsAtHand.Service.Pages.Requests;

/// <summary>
/// "Raise a request" as GOV.UK question pages: one thing per page, check your answers, then the
/// confirmation. The answers so far travel in the form itself (no session state), every page works
/// without JavaScript, and the checks and words are the API's (RaiseRequestValidator, RaiseRequestChecks).
/// </summary>
public sealed class NewModel(NpgsqlDataSource dataSource, IValidator<RaiseRequestBody> validator, ChildReferenceRules childReferences, RequestCommandHandler handler, TimeProvider clock) : PageModel
{
    public const string Check = "check";

    [BindProperty] public string? Step { get; set; }
    [BindProperty] public bool FromCheck { get; set; }
    [BindProperty] public string? SettingUrn { get; set; }
    [BindProperty] public RequestLevel? Level { get; set; }
    [BindProperty] public List<Discipline> Disciplines { get; set; } = [];
    [BindProperty] public List<AreaOfNeed> AreasOfNeed { get; set; } = [];
    [BindProperty] public string? NeedsSummary { get; set; }
    [BindProperty] public string? ActionTaken { get; set; }
    [BindProperty] public string? ChildReference { get; set; }
    [BindProperty] public int? YearGroup { get; set; }
    [BindProperty] public SenStatus? SenStatus { get; set; }
    [BindProperty] public bool? ParentalConsent { get; set; }
    [BindProperty] public Priority? Urgency { get; set; }

    /// <summary>The settings the caller may raise for, by URN, with their names.</summary>
    public IReadOnlyList<(string Urn, string Name)> Settings { get; private set; } = [];

    public List<(string Field, string Message)> Errors { get; } = [];

    public string? ErrorFor(string field) => Errors.FirstOrDefault(e => e.Field == field).Message;

    public string CurrentStep => Step ?? Steps[0];

    /// <summary>The questions this request asks, in order: the setting only when there is a choice, the child only for an individual request.</summary>
    public IReadOnlyList<string> Steps =>
    [
        .. Settings.Count > 1 ? ["setting"] : Array.Empty<string>(),
        "level", "disciplines", "needs", "summary", "tried",
        .. Level == RequestLevel.Individual ? ["child"] : Array.Empty<string>(),
        "urgency", Check,
    ];

    /// <summary>Each step's fields, by the names the API's errors use.</summary>
    private static readonly Dictionary<string, string[]> FieldsOf = new(StringComparer.Ordinal)
    {
        ["setting"] = ["settingUrn"],
        ["level"] = ["level"],
        ["disciplines"] = ["disciplines"],
        ["needs"] = ["areasOfNeed"],
        ["summary"] = ["needsSummary"],
        ["tried"] = ["actionTaken"],
        ["child"] = ["child", "child.reference", "child.yearGroup", "child.senStatus", "child.parentalConsent"],
        ["urgency"] = ["urgency"],
    };

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (await PrepareAsync(cancellationToken).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        Step = Steps[0];
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string? back, string? change, CancellationToken cancellationToken)
    {
        if (await PrepareAsync(cancellationToken).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        var steps = Steps;
        var index = Math.Max(0, steps.ToList().IndexOf(CurrentStep));
        if (back is not null)
        {
            Step = steps[Math.Max(0, index - 1)];
            return Page();
        }

        if (change is not null && steps.Contains(change, StringComparer.Ordinal))
        {
            // "Change" on check your answers: that question, then straight back.
            Step = change;
            FromCheck = true;
            return Page();
        }

        var caller = Caller.From(User)!;
        var body = Body();
        var errors = (await validator.ValidateAsync(body, cancellationToken).ConfigureAwait(false)).Errors
            .Select(e => (Field: HttpConventions.JsonPath(e.PropertyName), e.ErrorMessage))
            .ToList();
        if (CurrentStep != Check)
        {
            Add(errors.Where(e => FieldsOf[CurrentStep].Contains(e.Field)));
            if (Errors.Count == 0 && CurrentStep == "child" && ChildReference is { } reference && childReferences.For(caller.Tenant).Refuse(reference) is { } refusal)
            {
                Errors.Add(("child.reference", refusal));
            }

            if (Errors.Count > 0)
            {
                return Page();
            }

            Step = FromCheck ? Check : steps[Math.Min(steps.Count - 1, index + 1)];
            FromCheck = false;
            return Page();
        }

        Add(errors);
        if (Errors.Count == 0 && await RaiseRequestChecks.RefusalsAsync(body, caller, dataSource, childReferences, cancellationToken).ConfigureAwait(false) is { } refusals)
        {
            Add(refusals.SelectMany(r => r.Value.Select(m => (r.Key, m))));
        }

        if (Errors.Count > 0)
        {
            return Page();
        }

        var result = await handler.RaiseAsync(RaiseRequestChecks.Command(body, Guid.CreateVersion7(), caller, clock.GetUtcNow()), caller, cancellationToken).ConfigureAwait(false);
        if (result is CommandResult.Done done)
        {
            return Redirect($"/requests/{done.View.Id}/confirmation");
        }

        Errors.Add(("level", result is CommandResult.Refused refused2 ? refused2.Reason : "The request could not be raised. Try again."));
        return Page();
    }

    private void Add(IEnumerable<(string Field, string Message)> errors)
    {
        foreach (var error in errors.DistinctBy(e => e.Field))
        {
            Errors.Add(error);
        }
    }

    public RaiseRequestBody Body() => new(
        SettingUrn,
        Level,
        Disciplines,
        AreasOfNeed,
        NeedsSummary,
        ActionTaken,
        Level == RequestLevel.Individual ? new ChildBody(ChildReference, YearGroup, SenStatus, ParentalConsent) : null,
        Urgency);

    private async Task<IActionResult?> PrepareAsync(CancellationToken cancellationToken)
    {
        var caller = Caller.From(User)!;
        if (!caller.Is(Roles.Senco, Roles.Coordinator))
        {
            return RedirectToPage("/NotAllowed");
        }

        var settings = await Features.Settings.SettingNames.ForAsync(dataSource, caller.Tenant, caller.Is(Roles.Senco) ? caller.SettingUrns : null, cancellationToken).ConfigureAwait(false);
        Settings = settings;
        if (settings.Count == 1)
        {
            SettingUrn = settings[0].Item1;
        }

        return null;
    }
}
