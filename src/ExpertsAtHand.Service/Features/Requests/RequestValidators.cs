using ExpertsAtHand.Domain.Requests;
using FluentValidation;

namespace ExpertsAtHand.Service.Features.Requests;

internal static class TextLimits
{
    public const int Short = 200;
    public const int Long = 4_000;
}

internal sealed class RaiseRequestValidator : AbstractValidator<RaiseRequestBody>
{
    public RaiseRequestValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop; // a later rule must never see a value an earlier one rejected
        RuleFor(x => x.SettingUrn).NotEmpty().MaximumLength(20).Matches("^[0-9]{5,8}$").WithMessage("A setting URN is 5 to 8 digits.");
        RuleFor(x => x.Level).NotNull();
        RuleFor(x => x.Disciplines).NotEmpty().Must(d => d!.Distinct().Count() == d!.Count).WithMessage("Each discipline once.");
        RuleFor(x => x.AreasOfNeed).NotEmpty().Must(a => a!.Distinct().Count() == a!.Count).WithMessage("Each area of need once.");
        RuleFor(x => x.NeedsSummary).NotEmpty().MaximumLength(TextLimits.Long);
        RuleFor(x => x.ActionTaken).NotEmpty().MaximumLength(TextLimits.Long).WithMessage("Say what the setting has already tried (assess, plan, do, review).");
        RuleFor(x => x.Urgency).NotNull();
        RuleFor(x => x.Child).NotNull().When(x => x.Level == RequestLevel.Individual).WithMessage("An individual request needs the child's details.");
        RuleFor(x => x.Child).Null().When(x => x.Level is RequestLevel.WholeSetting or RequestLevel.Group).WithMessage("Only an individual request may hold a child's details.");
        When(x => x.Child is not null, () =>
        {
            // Its shape is the area's rule (ChildReferenceRules), checked by the endpoint that knows the area.
            RuleFor(x => x.Child!.Reference).NotEmpty().MaximumLength(64);
            RuleFor(x => x.Child!.YearGroup).NotNull().InclusiveBetween(-4, 21);
            RuleFor(x => x.Child!.SenStatus).NotNull();
            RuleFor(x => x.Child!.ParentalConsent).NotNull().Equal(true).WithMessage("Parental consent must be recorded before an individual request is raised.");
        });
    }
}

internal sealed class RequestInformationValidator : AbstractValidator<RequestInformationBody>
{
    public RequestInformationValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop;
        RuleFor(x => x.Question).NotEmpty().MaximumLength(TextLimits.Long);
    }
}

internal sealed class ProvideInformationValidator : AbstractValidator<ProvideInformationBody>
{
    public ProvideInformationValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop;
        RuleFor(x => x.Answer).NotEmpty().MaximumLength(TextLimits.Long);
    }
}

internal sealed class TriageValidator : AbstractValidator<TriageBody>
{
    public TriageValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop; // a later rule must never see a value an earlier one rejected
        RuleFor(x => x.Decision).NotNull();
        RuleFor(x => x.Rationale).NotEmpty().MaximumLength(TextLimits.Long).WithMessage("Every triage decision records its rationale.");
        When(x => x.Decision == TriageOutcome.Accept, () =>
        {
            RuleFor(x => x.SupportType).NotNull();
            RuleFor(x => x.Disciplines).NotEmpty().Must(d => d!.Distinct().Count() == d!.Count).WithMessage("Each discipline once.");
            RuleFor(x => x.Priority).NotNull();
        });
        When(x => x.Decision == TriageOutcome.Route, () => RuleFor(x => x.Pathway).NotNull());
        When(x => x.Decision == TriageOutcome.Decline, () => RuleFor(x => x.Signposting).NotEmpty().MaximumLength(TextLimits.Long));
    }
}

internal sealed class AllocateValidator : AbstractValidator<AllocateBody>
{
    public AllocateValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop; // a later rule must never see a value an earlier one rejected
        RuleFor(x => x.PractitionerId).NotEmpty().MaximumLength(64).Matches("^[A-Za-z0-9-]+$");
        RuleFor(x => x.Discipline).NotNull();
        RuleFor(x => x.Hours).InclusiveBetween(0.5m, 100m).When(x => x.Hours is not null);
        RuleFor(x => x.OverrideReason).MaximumLength(TextLimits.Long);
    }
}

internal sealed class RecordContactValidator : AbstractValidator<RecordContactBody>
{
    public RecordContactValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop; // a later rule must never see a value an earlier one rejected
        RuleFor(x => x.Date).NotNull();
        RuleFor(x => x.DurationMinutes).NotNull().InclusiveBetween(5, 8 * 60);
        RuleFor(x => x.Mode).NotNull();
        RuleFor(x => x.Attended).NotEmpty();
    }
}

internal sealed class CloseValidator : AbstractValidator<CloseBody>
{
    public CloseValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop; // a later rule must never see a value an earlier one rejected
        RuleFor(x => x.Outcome).NotNull().NotEqual(ClosureOutcome.Withdrawn).WithMessage("A setting withdraws its own request; choose another outcome.");
        RuleFor(x => x.Note).NotEmpty().MaximumLength(TextLimits.Long);
    }
}

internal sealed class ReasonValidator : AbstractValidator<ReasonBody>
{
    public ReasonValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop;
        RuleFor(x => x.Reason).NotEmpty().MaximumLength(TextLimits.Long);
    }
}
