using ExpertsAtHand.Domain.Allocation;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.Features.Requests;
using ExpertsAtHand.Service.Hosting;
namespace ExpertsAtHand.Service.Features.Allocations;

/// <summary>
/// A coordinator's allocation checked against the engine as it stands now: following its suggestion
/// records the inputs that ranked it; choosing otherwise needs a reason, which is recorded. The API
/// and the request page both come here.
/// </summary>
public sealed class AllocationChoice(AllocationPlanner planner, Practitioners.PractitionerDirectory practitioners)
{
    /// <summary>
    /// The command to send, or the errors by field (in the API's names) that stop it. <paramref name="plan"/>:
    /// the engine's view already made for this request (a page shows it), else made here.
    /// </summary>
    public async Task<(Func<DateTimeOffset, AllocatePractitioner>? Command, Dictionary<string, string[]> Errors)> DecideAsync(Caller caller, Guid requestId, AllocateBody body, Plan? plan, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var discipline = await practitioners.ActiveDisciplineAsync(caller.Tenant, body.PractitionerId!, cancellationToken).ConfigureAwait(false);
        if (discipline is null)
        {
            errors["practitionerId"] = [$"No active practitioner {body.PractitionerId} in your local area."];
            return (null, errors);
        }

        if (discipline != body.Discipline)
        {
            errors["discipline"] = [$"Practitioner {body.PractitionerId} works in {discipline}, not {body.Discipline}."];
            return (null, errors);
        }

        plan ??= await planner.PlanAsync(caller.Tenant, cancellationToken).ConfigureAwait(false);
        var suggested = plan.SuggestionFor(requestId, body.Discipline!.Value);
        var follows = suggested is not null && suggested.PractitionerId == body.PractitionerId && (body.Hours is null || body.Hours == suggested.Hours);
        if (!follows && string.IsNullOrWhiteSpace(body.OverrideReason))
        {
            var advice = suggested is null
                ? "The engine would not allocate this now (other requests rank first, or no practitioner has the hours)."
                : $"The engine suggests {suggested.PractitionerId} for {suggested.Hours:0.#} hours.";
            errors["overrideReason"] = [$"{advice} To choose otherwise, give a reason; it is recorded."];
            return (null, errors);
        }

        var hours = body.Hours ?? suggested?.Hours ?? plan.Demand.GetValueOrDefault(AllocationPlanner.DemandId(requestId, body.Discipline!.Value))?.Hours ?? AllocationHours.For(SupportType.Consultation);
        var ranking = follows ? suggested!.Ranking : AllocationPlanner.InputsFor(plan, requestId, body.Discipline!.Value, hours);
        return (at => new AllocatePractitioner(body.PractitionerId!, body.Discipline!.Value, caller.Actor, at, Guid.CreateVersion7(), hours, ranking, follows ? null : body.OverrideReason), errors);
    }
}
