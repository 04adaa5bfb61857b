namespace ExpertsAtHand.Domain.Requests;

// Everything that can happen to a request for support, in the past tense. Stored names are
// registered in RequestEventTypes and must never change.

public sealed record RequestRaised(
    Guid RequestId,
    string SettingUrn,
    RequestLevel Level,
    IReadOnlyList<Discipline> Disciplines,
    IReadOnlyList<AreaOfNeed> AreasOfNeed,
    string NeedsSummary,
    string ActionTaken,
    ChildDetails? Child,
    Priority Urgency,
    string RaisedBy,
    DateTimeOffset RaisedAt,
    DateOnly ReceivedOn,
    DateOnly TriageDueBy,
    string? Reference = null, // the area's short reference (NMR-2026-00123); requests raised before references have none
    Guid? DetailsKey = null, // the key that seals this request's details (its child's, or its own); none on requests raised before sealing
    string? ChildKey = null); // who the child is for repeat counting, without saying who: the child's key id, never derived from the reference

public sealed record InformationRequested(string Question, string RequestedBy, DateTimeOffset At, DateOnly PausedOn);

public sealed record InformationProvided(string Answer, string ProvidedBy, DateTimeOffset At, int PausedWorkingDays, DateOnly TriageDueBy);

public sealed record TriageAccepted(
    SupportType SupportType,
    IReadOnlyList<Discipline> Disciplines,
    Priority Priority,
    string Rationale,
    string DecidedBy,
    DateTimeOffset At,
    DateOnly AcceptedOn,
    DateOnly FirstContactDueBy);

public sealed record RoutedToPathway(SpecialistPathway Pathway, string Rationale, string DecidedBy, DateTimeOffset At);

public sealed record TriageDeclined(string Signposting, string Rationale, string DecidedBy, DateTimeOffset At);

/// <summary>The time-to-triage clock stopped at a decision: working days used (pauses excluded) against the standard.</summary>
public sealed record TriageClockStopped(int WorkingDays, int StandardWorkingDays, bool Met);

public sealed record SlaAtRisk(SlaClock Clock, DateOnly DueBy, DateTimeOffset At);

public sealed record SlaBreached(SlaClock Clock, DateOnly DueBy, DateTimeOffset At);

/// <summary>
/// Practitioner time given to a request: how many hours, what ranked it (when the engine suggested
/// it), or the coordinator's reason when they chose otherwise.
/// </summary>
public sealed record PractitionerAllocated(
    string PractitionerId,
    Discipline Discipline,
    string AllocatedBy,
    DateTimeOffset At,
    Guid AllocationId = default,
    decimal Hours = 0,
    Allocation.RankingInputs? Ranking = null,
    string? OverrideReason = null);

public sealed record ContactRecorded(
    Guid ContactId,
    DateOnly Date,
    int DurationMinutes,
    ContactMode Mode,
    IReadOnlyList<Attendee> Attended,
    string PractitionerId,
    DateTimeOffset At);

/// <summary>The first delivered contact stopped the time-to-first-contact clock.</summary>
public sealed record FirstContactRecorded(DateOnly Date, int WorkingDays, int StandardWorkingDays, bool Met);

public sealed record RequestClosed(ClosureOutcome Outcome, string Note, string ClosedBy, DateTimeOffset At);

public sealed record RequestReopened(string Reason, string ReopenedBy, DateTimeOffset At, DateOnly ReceivedOn, DateOnly TriageDueBy);

public sealed record RequestWithdrawn(string Reason, string WithdrawnBy, DateTimeOffset At);

/// <summary>
/// The child's details and every free text about them were erased (their key destroyed): the request's
/// dates, clocks, decisions and counts stay. <see cref="Grounds"/> says why, never who.
/// </summary>
public sealed record RequestDetailsErased(ErasureGrounds Grounds, string ErasedBy, DateTimeOffset At);

public static class RequestEventTypes
{
    public const string StreamType = "request";

    /// <summary>Stable stored names for every request event.</summary>
    public static IReadOnlyList<(Type Type, string Name)> All { get; } =
    [
        (typeof(RequestRaised), "request-raised"),
        (typeof(InformationRequested), "information-requested"),
        (typeof(InformationProvided), "information-provided"),
        (typeof(TriageAccepted), "triage-accepted"),
        (typeof(RoutedToPathway), "routed-to-pathway"),
        (typeof(TriageDeclined), "triage-declined"),
        (typeof(TriageClockStopped), "triage-clock-stopped"),
        (typeof(SlaAtRisk), "sla-at-risk"),
        (typeof(SlaBreached), "sla-breached"),
        (typeof(PractitionerAllocated), "practitioner-allocated"),
        (typeof(ContactRecorded), "contact-recorded"),
        (typeof(FirstContactRecorded), "first-contact-recorded"),
        (typeof(RequestClosed), "request-closed"),
        (typeof(RequestReopened), "request-reopened"),
        (typeof(RequestWithdrawn), "request-withdrawn"),
        (typeof(RequestDetailsErased), "request-details-erased"),
    ];
}
