namespace ExpertsAtHand.Domain.Requests;

/// <summary>A request as its events leave it: only what decisions need.</summary>
public sealed record RequestState
{
    public static readonly RequestState Initial = new();

    public bool Exists { get; init; }
    public Guid Id { get; init; }
    public string SettingUrn { get; init; } = string.Empty;
    public RequestLevel Level { get; init; }
    public RequestStatus Status { get; init; }
    public Priority Urgency { get; init; }
    public Priority? Priority { get; init; }
    public IReadOnlyList<Discipline> Disciplines { get; init; } = [];
    public DateOnly ReceivedOn { get; init; }
    public DateOnly TriageDueBy { get; init; }
    public DateOnly? PausedOn { get; init; }
    public int PausedWorkingDays { get; init; }
    public DateOnly? AcceptedOn { get; init; }
    public DateOnly? FirstContactDueBy { get; init; }
    public bool FirstContactMade { get; init; }
    public IReadOnlyList<string> Practitioners { get; init; } = [];
    public IReadOnlySet<(SlaClock, SlaCheckKind)> SlaRecorded { get; init; } = new HashSet<(SlaClock, SlaCheckKind)>();
    public ClosureOutcome? Outcome { get; init; }
    public bool DetailsErased { get; init; }

    public bool IsOpen => Exists && Status is not (RequestStatus.Closed or RequestStatus.Withdrawn);

    /// <summary>The triage clock runs from receipt to decision, and stands still while information is awaited.</summary>
    public bool TriageClockRunning => Exists && Status == RequestStatus.AwaitingTriage;

    public bool FirstContactClockRunning => Exists && Status is RequestStatus.AwaitingAllocation or RequestStatus.Allocated && !FirstContactMade;
}
