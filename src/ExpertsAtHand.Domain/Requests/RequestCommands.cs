namespace ExpertsAtHand.Domain.Requests;

/// <summary>Something a person (or the SLA scheduler) asks of a request. <see cref="At"/> comes from the caller's clock.</summary>
public abstract record RequestCommand(string Actor, DateTimeOffset At);

public sealed record RaiseRequest(
    Guid RequestId,
    string SettingUrn,
    RequestLevel Level,
    IReadOnlyList<Discipline> Disciplines,
    IReadOnlyList<AreaOfNeed> AreasOfNeed,
    string NeedsSummary,
    string ActionTaken,
    ChildDetails? Child,
    Priority Urgency,
    string Actor,
    DateTimeOffset At,
    string? Reference = null,
    Guid? DetailsKey = null,
    string? ChildKey = null) : RequestCommand(Actor, At);

public sealed record RequestInformation(string Question, string Actor, DateTimeOffset At) : RequestCommand(Actor, At);

public sealed record ProvideInformation(string Answer, string Actor, DateTimeOffset At) : RequestCommand(Actor, At);

public sealed record AcceptRequest(SupportType SupportType, IReadOnlyList<Discipline> Disciplines, Priority Priority, string Rationale, string Actor, DateTimeOffset At)
    : RequestCommand(Actor, At);

public sealed record RouteToPathway(SpecialistPathway Pathway, string Rationale, string Actor, DateTimeOffset At) : RequestCommand(Actor, At);

public sealed record DeclineRequest(string Signposting, string Rationale, string Actor, DateTimeOffset At) : RequestCommand(Actor, At);

public sealed record AllocatePractitioner(
    string PractitionerId,
    Discipline Discipline,
    string Actor,
    DateTimeOffset At,
    Guid AllocationId = default,
    decimal Hours = 0,
    Allocation.RankingInputs? Ranking = null,
    string? OverrideReason = null) : RequestCommand(Actor, At);

public sealed record RecordContact(
    Guid ContactId,
    DateOnly Date,
    int DurationMinutes,
    ContactMode Mode,
    IReadOnlyList<Attendee> Attended,
    string PractitionerId,
    string Actor,
    DateTimeOffset At) : RequestCommand(Actor, At);

public sealed record CloseRequest(ClosureOutcome Outcome, string Note, string Actor, DateTimeOffset At) : RequestCommand(Actor, At);

public sealed record ReopenRequest(string Reason, string Actor, DateTimeOffset At) : RequestCommand(Actor, At);

public sealed record WithdrawRequest(string Reason, string Actor, DateTimeOffset At) : RequestCommand(Actor, At);

/// <summary>Erase the child's details from a finished request (the right to erasure, or the end of retention).</summary>
public sealed record EraseRequestDetails(ErasureGrounds Grounds, string Actor, DateTimeOffset At) : RequestCommand(Actor, At);

/// <summary>A scheduled look at an SLA clock: records at-risk or breach if, as things stand now, it applies.</summary>
public sealed record CheckSla(SlaClock Clock, SlaCheckKind Kind, string Actor, DateTimeOffset At) : RequestCommand(Actor, At);
