using ExpertsAtHand.Domain.Requests;

namespace ExpertsAtHand.Domain.Allocation;

/// <summary>
/// One discipline's need on an accepted request, as the area recorded it: the id the engine ranks it
/// by, when it was accepted and its first contact was due, the hours it took (or the hours its support
/// type is planned for, where it was never allocated), and when (if ever) it was actually allocated.
/// </summary>
public sealed record RecordedDemand(
    Guid Id,
    Guid RequestId,
    string SettingUrn,
    string Locality,
    Discipline Discipline,
    Priority Priority,
    decimal Hours,
    DateOnly AcceptedOn,
    DateTimeOffset AcceptedAt,
    DateOnly FirstContactDueBy,
    DateOnly? AllocatedOn);

/// <summary>A practitioner's weekly hours from a date (a registration, or a change taking effect); zero while inactive.</summary>
public sealed record RecordedCapacity(string PractitionerId, Discipline Discipline, IReadOnlySet<string> Localities, DateOnly From, decimal WeeklyHours);

/// <summary>Time a practitioner did not have for requests: an absence (whole days) or a clinic they ran (hours on a day).</summary>
public sealed record RecordedUnavailability(string PractitionerId, DateOnly From, DateOnly To, decimal? Hours);

/// <summary>Hours a setting used outside the demand replayed (an allocation before the period, a clinic it attended), on a day.</summary>
public sealed record RecordedUse(string SettingUrn, DateOnly On, decimal Hours);

/// <summary>
/// Everything the area recorded that a replay needs, for the period asked. <c>AnnualEntitlement</c>
/// covers every setting (the engine weighs them all); <c>InScope</c> (open, in area) is what the equity
/// measures are taken over, and <c>TopNeedQuartile</c> is its quarter with the highest need.
/// </summary>
public sealed record RecordedYear(
    DateOnly From,
    DateOnly To,
    IReadOnlyList<RecordedDemand> Demand,
    IReadOnlyList<RecordedCapacity> Capacity,
    IReadOnlyList<RecordedUnavailability> Unavailable,
    IReadOnlyList<RecordedUse> OtherUse,
    IReadOnlyDictionary<string, decimal> AnnualEntitlement,
    IReadOnlySet<string> InScope,
    IReadOnlySet<string> TopNeedQuartile,
    IReadOnlyDictionary<string, string> LocalityOf);

/// <summary>The measures of DOMAIN.md over one way of allocating the recorded demand.</summary>
public sealed record ReplayFigures(
    int Demand,
    int Allocated,
    int StillWaiting,
    decimal HoursAllocated,
    double? ShareWithinFirstContactStandard,
    double? MedianWorkingDaysToAllocation,
    double? Top10Share,
    double TopNeedQuartileCoverage,
    double MaxOvershare,
    int SettingsSupported);

public sealed record ReplayResult(ReplayFigures Actual, ReplayFigures Replayed, int OutreachOffers, int OutreachRequests, int Weeks);

/// <summary>
/// Replays an area's recorded demand and capacity week by week through a policy, deciding each Monday
/// as the live planner would have that day (<see cref="EngineInputs"/>): the demand accepted by then
/// and not yet given time, each practitioner's free hours that week (weekly hours for the working days
/// they are not away, less the clinics they run), and each setting's use of its share this academic
/// year against its pro-rata entitlement. Fair is the allocation engine; fcfs gives time in the order
/// of acceptance. An allocation counts from the later of its Monday and the acceptance, and holds its
/// hours against its setting's share for the rest of the year (the replay cannot know when a request
/// would have closed). Pure and deterministic.
/// </summary>
public static class RecordedReplay
{
    public const int OutreachQuietWeeks = 12;
    public const decimal OutreachMaxUse = 0.25m;
    public const decimal SessionHours = 3m;

    public static ReplayResult Run(RecordedYear year, AllocationPolicy policy, bool outreach, RequestRules rules, Action<int, int>? progress = null) =>
        Play(year, policy, outreach, rules, progress).Result;

    /// <summary>When the replay gave each need time, by the need's id (what a replay is checked against, decision by decision).</summary>
    public static IReadOnlyDictionary<Guid, DateOnly> Decisions(RecordedYear year, AllocationPolicy policy, RequestRules rules) =>
        Play(year, policy, outreach: false, rules, progress: null).AllocatedOn;

    private static (ReplayResult Result, Dictionary<Guid, DateOnly> AllocatedOn) Play(RecordedYear year, AllocationPolicy policy, bool outreach, RequestRules rules, Action<int, int>? progress)
    {
        var firstMonday = year.From.AddDays(-(((int)year.From.DayOfWeek + 6) % 7));
        var weeks = ((year.To.DayNumber - firstMonday.DayNumber) / 7) + 1;
        var pending = year.Demand.Where(d => d.AcceptedOn <= year.To).OrderBy(d => d.AcceptedAt).ThenBy(d => d.Id).ToList();
        var waiting = new List<RecordedDemand>();
        var allocatedOn = new Dictionary<Guid, DateOnly>();
        var replayedDemand = new List<RecordedDemand>(pending);
        var lastAsked = new Dictionary<string, int>(StringComparer.Ordinal);
        var lastOffered = new Dictionary<string, int>(StringComparer.Ordinal);
        var given = new List<(string Urn, DateOnly On, decimal Hours)>();
        int offers = 0, outreachRequests = 0, next = 0;
        var maxOvershare = 0d;
        var disciplines = Enum.GetValues<Discipline>();
        for (var week = 0; week < weeks; week++)
        {
            var monday = firstMonday.AddDays(week * 7);
            var sunday = monday.AddDays(6);
            while (next < pending.Count && pending[next].AcceptedOn <= monday)
            {
                waiting.Add(pending[next]);
                lastAsked[pending[next].SettingUrn] = week;
                next++;
            }

            // A need accepted after a Monday waits for the next one: the replay decides only with what was known that day.
            var use = Use(year, given, monday);
            if (outreach)
            {
                // The outreach list's rule, as GET /api/outreach applies it; every second offer is taken up (the simulation's default half).
                foreach (var urn in year.TopNeedQuartile.Order(StringComparer.Ordinal))
                {
                    if (use.GetValueOrDefault(urn)?.UsedHours >= use.GetValueOrDefault(urn)?.EntitlementHours * OutreachMaxUse
                        || week - lastAsked.GetValueOrDefault(urn, int.MinValue / 2) < OutreachQuietWeeks
                        || week - lastOffered.GetValueOrDefault(urn, int.MinValue / 2) < OutreachQuietWeeks)
                    {
                        continue;
                    }

                    offers++;
                    lastOffered[urn] = week;
                    if (offers % 2 == 0)
                    {
                        var id = new Guid(outreachRequests + 1, 7, 7, new byte[8]);
                        var offered = new RecordedDemand(id, id, urn, year.LocalityOf.GetValueOrDefault(urn, string.Empty), disciplines[outreachRequests % disciplines.Length], Priority.Routine, SessionHours,
                            monday, rules.StartOf(monday), rules.Calendar.AddWorkingDays(monday, rules.Standards.For(Priority.Routine).FirstContactWorkingDays), null);
                        waiting.Add(offered);
                        replayedDemand.Add(offered);
                        outreachRequests++;
                        lastAsked[urn] = week;
                    }
                }
            }

            var capacity = CapacityFor(year, monday, rules);
            var demand = waiting.Select(d => new Demand(
                d.Id, d.SettingUrn, d.Locality, d.Discipline, d.Priority, EngineInputs.SlackWorkingDays(d.FirstContactDueBy, monday, rules.Calendar), d.Hours, d.AcceptedAt)).ToList();
            var chosen = policy == AllocationPolicy.Fair
                ? AllocationEngine.Propose(demand, capacity, use).Proposals.Select(p => p.RequestId).ToHashSet()
                : FirstComeFirstServed(demand, capacity);
            foreach (var need in waiting.Where(w => chosen.Contains(w.Id)))
            {
                var on = Max(monday, need.AcceptedOn);
                allocatedOn[need.Id] = on;
                given.Add((need.SettingUrn, on, need.Hours));
            }

            waiting.RemoveAll(w => chosen.Contains(w.Id));
            maxOvershare = Math.Max(maxOvershare, Overshare(Use(year, given, sunday), waiting.Select(w => w.SettingUrn).ToHashSet(StringComparer.Ordinal)));
            progress?.Invoke(week + 1, weeks);
        }

        var replayed = Figures(replayedDemand, d => allocatedOn.TryGetValue(d.Id, out var on) ? on : null, year, rules, maxOvershare);
        var actual = Figures([.. year.Demand.Where(d => d.AcceptedOn <= year.To)], d => d.AllocatedOn is { } on && on <= year.To ? on : null, year, rules, ActualOvershare(year));
        return (new ReplayResult(actual, replayed, offers, outreachRequests, weeks), allocatedOn);
    }

    /// <summary>Each setting's use of its share this academic year by <paramref name="day"/>, against its entitlement pro rata to that day.</summary>
    private static Dictionary<string, SettingUse> Use(RecordedYear year, List<(string Urn, DateOnly On, decimal Hours)> given, DateOnly day)
    {
        var yearStart = new DateOnly(EntitlementFormula.AcademicYear(day), 9, 1);
        var used = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var (urn, on, hours) in given.Concat(year.OtherUse.Select(u => (u.SettingUrn, u.On, u.Hours))))
        {
            if (on >= yearStart && on <= day)
            {
                used[urn] = used.GetValueOrDefault(urn) + hours;
            }
        }

        return year.AnnualEntitlement.Keys.Concat(used.Keys).Distinct(StringComparer.Ordinal).ToDictionary(
            urn => urn,
            urn => new SettingUse(used.GetValueOrDefault(urn), EngineInputs.ProRataEntitlement(year.AnnualEntitlement.GetValueOrDefault(urn), day)),
            StringComparer.Ordinal);
    }

    /// <summary>Each practitioner's free hours in the week of <paramref name="monday"/>, as the planner reckons them.</summary>
    private static List<Capacity> CapacityFor(RecordedYear year, DateOnly monday, RequestRules rules)
    {
        var workingDays = Enumerable.Range(0, 5).Select(monday.AddDays).Where(rules.Calendar.IsWorkingDay).ToList();
        var capacity = new List<Capacity>();
        foreach (var practitioner in year.Capacity.GroupBy(c => c.PractitionerId, StringComparer.Ordinal))
        {
            // The change in force that day: the latest taking effect by then, and of those on the same day the last recorded (the order is stable).
            var current = practitioner.Where(c => c.From <= monday).OrderBy(c => c.From).LastOrDefault();
            if (current is null || current.WeeklyHours <= 0)
            {
                continue;
            }

            var away = year.Unavailable.Where(u => u.PractitionerId == practitioner.Key && u.Hours is null && u.From <= monday.AddDays(4) && u.To >= monday).ToList();
            var present = workingDays.Count(day => !away.Any(a => a.From <= day && day <= a.To));
            var clinics = year.Unavailable.Where(u => u.PractitionerId == practitioner.Key && u.Hours is { } && u.From >= monday && u.From <= monday.AddDays(6)).Sum(u => u.Hours!.Value);
            capacity.Add(new Capacity(practitioner.Key, current.Discipline, current.Localities, EngineInputs.FreeHours(current.WeeklyHours, present, workingDays.Count, clinics)));
        }

        return capacity;
    }

    private static HashSet<Guid> FirstComeFirstServed(List<Demand> waiting, List<Capacity> capacity)
    {
        var left = capacity.ToDictionary(c => c.PractitionerId, c => c.Hours, StringComparer.Ordinal);
        var chosen = new HashSet<Guid>();
        foreach (var demand in waiting.OrderBy(d => d.AcceptedAt).ThenBy(d => d.RequestId))
        {
            var practitioner = capacity.FirstOrDefault(c => c.Discipline == demand.Discipline && c.Localities.Contains(demand.Locality) && left[c.PractitionerId] >= demand.Hours);
            if (practitioner is not null)
            {
                left[practitioner.PractitionerId] -= demand.Hours;
                chosen.Add(demand.RequestId);
            }
        }

        return chosen;
    }

    private static ReplayFigures Figures(List<RecordedDemand> demand, Func<RecordedDemand, DateOnly?> allocatedOn, RecordedYear year, RequestRules rules, double maxOvershare)
    {
        var given = demand.Select(d => (Demand: d, On: allocatedOn(d))).Where(x => x.On is not null).ToList();
        var waits = given.Select(x => Math.Max(0, rules.Calendar.WorkingDaysBetween(x.Demand.AcceptedOn, x.On!.Value))).Order().ToList();
        var within = given.Count(x => rules.Calendar.WorkingDaysBetween(x.Demand.AcceptedOn, x.On!.Value) <= rules.Standards.For(x.Demand.Priority).FirstContactWorkingDays);
        var hoursBySetting = given.GroupBy(x => x.Demand.SettingUrn, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(x => x.Demand.Hours), StringComparer.Ordinal);
        var total = hoursBySetting.Values.Sum();
        var inScope = year.InScope.Count;
        var top = hoursBySetting.Values.OrderDescending().Take(Math.Max(1, inScope / 10)).Sum();
        return new ReplayFigures(
            demand.Count,
            given.Count,
            demand.Count - given.Count,
            total,
            given.Count == 0 ? null : Math.Round(within / (double)given.Count, 3),
            waits.Count == 0 ? null : waits.Count % 2 == 1 ? waits[waits.Count / 2] : (waits[(waits.Count / 2) - 1] + waits[waits.Count / 2]) / 2.0,
            total == 0 ? null : Math.Round((double)(top / total), 3),
            year.TopNeedQuartile.Count == 0 ? 0 : Math.Round(year.TopNeedQuartile.Count(hoursBySetting.ContainsKey) / (double)year.TopNeedQuartile.Count, 3),
            Math.Round(maxOvershare, 3),
            hoursBySetting.Count);
    }

    /// <summary>What actually happened, measured the same way: at each week's end, the furthest any setting stood beyond its pro-rata share while another setting's demand waited.</summary>
    private static double ActualOvershare(RecordedYear year)
    {
        var firstMonday = year.From.AddDays(-(((int)year.From.DayOfWeek + 6) % 7));
        var given = year.Demand.Where(d => d.AllocatedOn is not null).Select(d => (d.SettingUrn, d.AllocatedOn!.Value, d.Hours)).ToList();
        var worst = 0d;
        for (var sunday = firstMonday.AddDays(6); sunday <= year.To.AddDays(6); sunday = sunday.AddDays(7))
        {
            var end = sunday;
            var waiting = year.Demand.Where(d => d.AcceptedOn <= end && (d.AllocatedOn is null || d.AllocatedOn > end)).Select(d => d.SettingUrn).ToHashSet(StringComparer.Ordinal);
            worst = Math.Max(worst, Overshare(Use(year, given, end), waiting));
        }

        return worst;
    }

    /// <summary>How far beyond its pro-rata share the furthest setting stood while another setting's demand waited.</summary>
    private static double Overshare(Dictionary<string, SettingUse> use, HashSet<string> waitingSettings)
    {
        var worst = 0d;
        foreach (var (urn, setting) in use)
        {
            // One waiting setting that is this one does not count.
            if (setting.EntitlementHours > 0 && setting.UsedHours > 0 && (waitingSettings.Count > 1 || (waitingSettings.Count == 1 && !waitingSettings.Contains(urn))))
            {
                worst = Math.Max(worst, (double)(setting.UsedHours / setting.EntitlementHours));
            }
        }

        return worst;
    }

    private static DateOnly Max(DateOnly a, DateOnly b) => a > b ? a : b;
}

/// <summary>
/// How the live planner turns the area's records into the engine's inputs, shared with the replay so
/// a replay decides exactly as the engine would have on the day.
/// </summary>
public static class EngineInputs
{
    /// <summary>Working days from <paramref name="today"/> to the first-contact due date; negative once it has passed.</summary>
    public static int SlackWorkingDays(DateOnly due, DateOnly today, Calendar.WorkingDayCalendar calendar) =>
        due >= today ? calendar.WorkingDaysBetween(today, due) : -calendar.WorkingDaysBetween(due, today);

    /// <summary>A practitioner's free hours this week: weekly hours for the working days present, less what is already held, to a tenth of an hour.</summary>
    public static decimal FreeHours(decimal weeklyHours, int presentDays, int workingDays, decimal held) =>
        Math.Max(0, Math.Round((workingDays == 0 ? 0 : weeklyHours * presentDays / workingDays) - held, 1));

    /// <summary>A setting's entitlement pro rata to <paramref name="today"/> in its academic year (at least a week's worth), to a tenth of an hour.</summary>
    public static decimal ProRataEntitlement(decimal annualHours, DateOnly today)
    {
        var yearStart = new DateOnly(EntitlementFormula.AcademicYear(today), 9, 1);
        return Math.Round(annualHours * Math.Max(7m, today.DayNumber - yearStart.DayNumber + 1) / 365m, 1);
    }
}
