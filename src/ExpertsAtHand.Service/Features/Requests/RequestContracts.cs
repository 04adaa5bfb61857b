using ExpertsAtHand.Domain.Requests;

namespace ExpertsAtHand.Service.Features.Requests;

// Request bodies: every member nullable so a missing field is a 400 naming it, not a silent default.

public sealed record ChildBody(string? Reference, int? YearGroup, SenStatus? SenStatus, bool? ParentalConsent);

public sealed record RaiseRequestBody(
    string? SettingUrn,
    RequestLevel? Level,
    IReadOnlyList<Discipline>? Disciplines,
    IReadOnlyList<AreaOfNeed>? AreasOfNeed,
    string? NeedsSummary,
    string? ActionTaken,
    ChildBody? Child,
    Priority? Urgency);

public sealed record RequestInformationBody(string? Question);

public sealed record ProvideInformationBody(string? Answer);

/// <summary>One triage decision: accept, route or decline, with the fields that decision needs.</summary>
public sealed record TriageBody(
    TriageOutcome? Decision,
    string? Rationale,
    SupportType? SupportType,
    IReadOnlyList<Discipline>? Disciplines,
    Priority? Priority,
    SpecialistPathway? Pathway,
    string? Signposting);

public enum TriageOutcome
{
    Accept,
    Route,
    Decline,
}

/// <summary>The command a checked triage body becomes: one place for the API and the pages.</summary>
public static class TriageDecision
{
    public static RequestCommand Command(TriageBody body, Hosting.Caller caller, DateTimeOffset at) => body.Decision switch
    {
        TriageOutcome.Accept => new AcceptRequest(body.SupportType!.Value, body.Disciplines!, body.Priority!.Value, body.Rationale!, caller.Actor, at),
        TriageOutcome.Route => new RouteToPathway(body.Pathway!.Value, body.Rationale!, caller.Actor, at),
        _ => new DeclineRequest(body.Signposting!, body.Rationale!, caller.Actor, at),
    };
}

/// <summary>Hours default to the engine's suggestion (or the support type's usual hours); an overrideReason is needed to choose otherwise.</summary>
public sealed record AllocateBody(string? PractitionerId, Discipline? Discipline, decimal? Hours = null, string? OverrideReason = null);

public sealed record RecordContactBody(DateOnly? Date, int? DurationMinutes, ContactMode? Mode, IReadOnlyList<Attendee>? Attended);

public sealed record CloseBody(ClosureOutcome? Outcome, string? Note);

public sealed record ReasonBody(string? Reason);

// Responses.

public sealed record ChildView(string Reference, int YearGroup, SenStatus SenStatus, bool ParentalConsent);

public sealed record ContactView(Guid ContactId, DateOnly Date, int DurationMinutes, ContactMode Mode, IReadOnlyList<Attendee> Attended, string PractitionerId);

/// <summary>
/// The current episode's clocks. <c>AtRisk</c> and <c>Breached</c> say whether either clock was; the
/// per-clock flags say which. <c>PausedOn</c> is set while the triage clock stands still.
/// </summary>
public sealed record SlaView(
    DateOnly TriageDueBy,
    DateOnly? FirstContactDueBy,
    int? TriageWorkingDays,
    bool? TriageMet,
    int? FirstContactWorkingDays,
    bool? FirstContactMet,
    bool AtRisk,
    bool Breached,
    bool TriageAtRisk,
    bool TriageBreached,
    bool FirstContactAtRisk,
    bool FirstContactBreached,
    DateOnly? PausedOn);

/// <summary>Practitioner time given to the request; its id reads the explanation at /api/allocations/{id}/explanation.</summary>
public sealed record AllocationView(Guid AllocationId, string PractitionerId, Discipline Discipline, decimal Hours, DateTimeOffset AllocatedAt);

public sealed record RequestView(
    Guid Id,
    string? Reference,
    long Version,
    string SettingUrn,
    RequestLevel Level,
    RequestStatus Status,
    Priority Urgency,
    Priority? Priority,
    IReadOnlyList<Discipline> Disciplines,
    IReadOnlyList<AreaOfNeed> AreasOfNeed,
    string NeedsSummary,
    string ActionTaken,
    ChildView? Child,
    SupportType? SupportType,
    SpecialistPathway? Pathway,
    IReadOnlyList<string> Practitioners,
    IReadOnlyList<ContactView> Contacts,
    ClosureOutcome? Outcome,
    SlaView Sla,
    DateTimeOffset RaisedAt,
    int Episode,
    DateTimeOffset? ReopenedAt,
    IReadOnlyList<AllocationView> Allocations);

public sealed record RequestSummary(
    Guid Id,
    string? Reference,
    long Version,
    string SettingUrn,
    RequestLevel Level,
    RequestStatus Status,
    Priority Urgency,
    Priority? Priority,
    IReadOnlyList<Discipline> Disciplines,
    DateOnly ReceivedOn,
    DateOnly TriageDueBy,
    DateOnly? FirstContactDueBy,
    bool AtRisk,
    bool Breached,
    DateTimeOffset RaisedAt,
    DateTimeOffset? ReopenedAt,
    DateOnly? PausedOn);

public sealed record Paged<T>(IReadOnlyList<T> Items, int Page, int PageSize, long Total);

/// <summary>
/// One request awaiting triage. While information is awaited the clock stands still, so
/// <c>WorkingDaysLeft</c> is frozen at what was left on the day it paused.
/// </summary>
public sealed record QueueEntry(RequestSummary Request, int WorkingDaysLeft, bool WaitingForInformation);

public sealed record TimelineEntry(long Version, string Event, DateTimeOffset At, string Actor, string Summary, Guid? AllocationId = null);
