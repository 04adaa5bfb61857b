using ExpertsAtHand.Domain.Calendar;

namespace ExpertsAtHand.Domain.Requests;

/// <summary>Working days allowed, for one priority, from receipt to triage and from acceptance to first contact.</summary>
public sealed record ResponseTimeStandard(int TriageWorkingDays, int FirstContactWorkingDays);

/// <summary>
/// A local area's response-time standards. There is no national standard; these defaults follow
/// common practice (triage within 5 working days; first contact within 2 / 5 / 15).
/// </summary>
public sealed record ResponseTimeStandards(IReadOnlyDictionary<Priority, ResponseTimeStandard> ByPriority, double AtRiskShare = 0.8)
{
    public static ResponseTimeStandards Default { get; } = new(new Dictionary<Priority, ResponseTimeStandard>
    {
        [Priority.Urgent] = new(5, 2),
        [Priority.High] = new(5, 5),
        [Priority.Routine] = new(5, 15),
    });

    public ResponseTimeStandard For(Priority priority) => ByPriority[priority];

    /// <summary>Working days into a clock at which it is at risk: the at-risk share of the limit, rounded up.</summary>
    public int AtRiskAfter(int limit) => Math.Max(0, (int)Math.Ceiling(limit * AtRiskShare));
}

/// <summary>What decisions about time need besides the request itself: the calendar, the standards and the local time zone.</summary>
public sealed record RequestRules(WorkingDayCalendar Calendar, ResponseTimeStandards Standards, TimeZoneInfo TimeZone)
{
    public static RequestRules EnglandDefault { get; } = new(
        WorkingDayCalendar.EnglandAndWales,
        ResponseTimeStandards.Default,
        TimeZoneInfo.FindSystemTimeZoneById("Europe/London"));

    /// <summary>The date in the local area's own time zone (a request raised at 23:30 BST belongs to that day).</summary>
    public DateOnly LocalDate(DateTimeOffset at) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, TimeZone).DateTime);

    /// <summary>Local midnight starting <paramref name="date"/>, as a UTC instant.</summary>
    public DateTimeOffset StartOf(DateOnly date)
    {
        var local = date.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(local, TimeZone.GetUtcOffset(local)).ToUniversalTime();
    }
}
