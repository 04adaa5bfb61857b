using ExpertsAtHand.Domain.Requests;

namespace ExpertsAtHand.Domain.Practitioners;

public enum ProviderOrganisation
{
    LocalAuthorityTeam,
    NhsTrust,
    SpecialSchoolOutreach,
}

/// <summary>A practitioner as the offer plans with them: discipline, employer, where they work, how many hours a week.</summary>
public sealed record PractitionerDetails(
    string Name,
    Discipline Discipline,
    ProviderOrganisation Provider,
    IReadOnlyList<string> Localities,
    decimal WeeklyCapacityHours,
    bool Active);

public sealed record PractitionerRegistered(string PractitionerId, PractitionerDetails Details, string RegisteredBy, DateTimeOffset At);

public sealed record PractitionerDetailsChanged(string PractitionerId, PractitionerDetails Details, IReadOnlyList<string> Changed, string ChangedBy, DateTimeOffset At);

/// <summary>Whole working days a practitioner is away (leave, training, sickness): no allocations then.</summary>
public sealed record PractitionerAbsenceRecorded(string PractitionerId, Guid AbsenceId, DateOnly From, DateOnly To, string Reason, string RecordedBy, DateTimeOffset At);

public sealed record RegisterPractitioner(string PractitionerId, PractitionerDetails Details, string Actor, DateTimeOffset At);

public sealed record PractitionerState(bool Exists, PractitionerDetails? Details)
{
    public static readonly PractitionerState Initial = new(false, null);
}

public static class PractitionerDecider
{
    public const string StreamType = "practitioner";

    public static IReadOnlyList<(Type Type, string Name)> EventTypes { get; } =
    [
        (typeof(PractitionerRegistered), "practitioner-registered"),
        (typeof(PractitionerDetailsChanged), "practitioner-details-changed"),
        (typeof(PractitionerAbsenceRecorded), "practitioner-absence-recorded"),
    ];

    public static IReadOnlyList<object> Decide(RegisterPractitioner command, PractitionerState state)
    {
        if (!state.Exists || state.Details is null)
        {
            return [new PractitionerRegistered(command.PractitionerId, command.Details, command.Actor, command.At)];
        }

        var changed = RecordChanges.Between(state.Details, command.Details);
        return changed.Count == 0 ? [] : [new PractitionerDetailsChanged(command.PractitionerId, command.Details, changed, command.Actor, command.At)];
    }

    /// <summary>The practitioner and their details as an event leaves them, or null for an event that does not carry them.</summary>
    public static (string PractitionerId, PractitionerDetails Details)? DetailsIn(object @event) => @event switch
    {
        PractitionerRegistered e => (e.PractitionerId, e.Details),
        PractitionerDetailsChanged e => (e.PractitionerId, e.Details),
        _ => null,
    };

    public static PractitionerState Evolve(PractitionerState state, object @event) => @event switch
    {
        PractitionerRegistered e => new PractitionerState(true, e.Details),
        PractitionerDetailsChanged e => state with { Details = e.Details },
        _ => state,
    };
}
