using ExpertsAtHand.Domain.Requests;

namespace ExpertsAtHand.Domain.Allocation;

/// <summary>
/// One discipline's need on an accepted request, as the area recorded it: when it was accepted, the
/// hours it took (or the area's session length where none were recorded), and when (if ever) the
/// coordinators actually allocated it.
/// </summary>
public sealed record RecordedDemand(
    Guid RequestId,
    string SettingUrn,
    string Locality,
    Discipline Discipline,
    Priority Priority,
    decimal Hours,
    DateOnly AcceptedOn,
    DateOnly? AllocatedOn);

/// <summary>A practitioner's weekly hours from a date (a registration, or a change taking effect); zero while inactive.</summary>
public sealed record RecordedCapacity(string PractitionerId, Discipline Discipline, IReadOnlySet<string> Localities, DateOnly From, decimal WeeklyHours);

/// <summary>Time a practitioner did not have for requests: an absence (whole days) or a clinic they ran (hours on a day).</summary>
public sealed record RecordedUnavailability(string PractitionerId, DateOnly From, DateOnly To, decimal? Hours);

/// <summary>Everything the area recorded that a replay needs, for the period asked.</summary>
public sealed record RecordedYear(
    DateOnly From,
    DateOnly To,
    IReadOnlyList<RecordedDemand> Demand,
    IReadOnlyList<RecordedCapacity> Capacity,
    IReadOnlyList<RecordedUnavailability> Unavailable,
    IReadOnlyDictionary<string, decimal> AnnualEntitlement,
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
/// Replays an area's recorded demand and capacity week by week (Monday to Sunday) through a policy:
/// each Monday the demand accepted by then and not yet given time is allocated against that week's
/// free hours of each practitioner (weekly hours × working days not absent ÷ 5, less the clinics they
/// ran), by the allocation engine (fair) or in order of acceptance (fcfs). Allocations made on a
/// Monday count from the later of that Monday and the acceptance. Pure and deterministic.
/// </summary>
public static class RecordedReplay
{
    public const int OutreachQuietWeeks = 12;
    public const decimal OutreachMaxUse = 0.25m;
    public const decimal SessionHours = 3m;

    public static ReplayResult Run(RecordedYear year, AllocationPolicy policy, bool outreach, RequestRules rules, Action<int, int>? progress = null)
    {
        var firstMonday = year.From.AddDays(-(((int)year.From.DayOfWeek + 6) % 7));
        var weeks = ((year.To.DayNumber - firstMonday.DayNumber) / 7) + 1;
        var totalDays = year.To.DayNumber - year.From.DayNumber + 1;
        var entitlement = year.AnnualEntitlement.ToDictionary(e => e.Key, e => e.Value * totalDays / 365m, StringComparer.Ordinal);
        var delivered = year.AnnualEntitlement.Keys.Concat(year.Demand.Select(d => d.SettingUrn)).Distinct(StringComparer.Ordinal).ToDictionary(k => k, _ => 0m, StringComparer.Ordinal);
        var pending = year.Demand.Where(d => d.AcceptedOn <= year.To).OrderBy(d => d.AcceptedOn).ThenBy(d => d.RequestId).ToList();
        var waiting = new List<RecordedDemand>();
        var allocatedOn = new Dictionary<(Guid, Discipline), DateOnly>();
        var replayedDemand = new List<RecordedDemand>(pending);
        var lastAsked = new Dictionary<string, int>(StringComparer.Ordinal);
        var lastOffered = new Dictionary<string, int>(StringComparer.Ordinal);
        int offers = 0, outreachRequests = 0, next = 0;
        var maxOvershare = 0d;
        var disciplines = Enum.GetValues<Discipline>();
        for (var week = 0; week < weeks; week++)
        {
            var monday = firstMonday.AddDays(week * 7);
            var sunday = monday.AddDays(6);
            while (next < pending.Count && pending[next].AcceptedOn <= sunday)
            {
                waiting.Add(pending[next]);
                lastAsked[pending[next].SettingUrn] = week;
                next++;
            }

            var elapsed = Math.Clamp(sunday.DayNumber - year.From.DayNumber + 1, 1, totalDays);
            var proRata = entitlement.ToDictionary(e => e.Key, e => e.Value * elapsed / totalDays, StringComparer.Ordinal);
            if (outreach)
            {
                // The outreach list's rule, as GET /api/outreach applies it; every second offer is taken up (the simulation's default half).
                foreach (var urn in year.TopNeedQuartile.Order(StringComparer.Ordinal))
                {
                    if (delivered.GetValueOrDefault(urn) >= proRata.GetValueOrDefault(urn) * OutreachMaxUse
                        || week - lastAsked.GetValueOrDefault(urn, int.MinValue / 2) < OutreachQuietWeeks
                        || week - lastOffered.GetValueOrDefault(urn, int.MinValue / 2) < OutreachQuietWeeks)
                    {
                        continue;
                    }

                    offers++;
                    lastOffered[urn] = week;
                    if (offers % 2 == 0)
                    {
                        var offered = new RecordedDemand(new Guid(outreachRequests + 1, 7, 7, new byte[8]), urn, year.LocalityOf.GetValueOrDefault(urn, string.Empty), disciplines[outreachRequests % disciplines.Length], Priority.Routine, SessionHours, monday, null);
                        waiting.Add(offered);
                        replayedDemand.Add(offered);
                        outreachRequests++;
                        lastAsked[urn] = week;
                    }
                }
            }

            var capacity = CapacityFor(year, monday, sunday, rules);
            var demand = waiting.Select(d => new Demand(
                d.RequestId, d.SettingUrn, d.Locality, d.Discipline, d.Priority,
                rules.Standards.For(d.Priority).FirstContactWorkingDays - rules.Calendar.WorkingDaysBetween(d.AcceptedOn, Max(monday, d.AcceptedOn)),
                d.Hours, rules.StartOf(d.AcceptedOn))).ToList();
            var chosen = policy == AllocationPolicy.Fair
                ? AllocationEngine.Propose(demand, capacity, delivered.ToDictionary(d => d.Key, d => new SettingUse(d.Value, proRata.GetValueOrDefault(d.Key)), StringComparer.Ordinal))
                    .Proposals.Select(p => p.RequestId).ToHashSet()
                : FirstComeFirstServed(demand, capacity);
            foreach (var given in waiting.Where(w => chosen.Contains(w.RequestId)))
            {
                allocatedOn[(given.RequestId, given.Discipline)] = Max(monday, given.AcceptedOn);
                delivered[given.SettingUrn] = delivered.GetValueOrDefault(given.SettingUrn) + given.Hours;
            }

            waiting.RemoveAll(w => chosen.Contains(w.RequestId));
            maxOvershare = Math.Max(maxOvershare, Overshare(delivered, proRata, waiting));
            progress?.Invoke(week + 1, weeks);
        }

        var replayed = Figures(replayedDemand, d => allocatedOn.TryGetValue((d.RequestId, d.Discipline), out var on) ? on : null, year, rules, maxOvershare);
        var actual = Figures(year.Demand.Where(d => d.AcceptedOn <= year.To).ToList(), d => d.AllocatedOn is { } on && on <= year.To ? on : null, year, rules, ActualOvershare(year, rules));
        return new ReplayResult(actual, replayed, offers, outreachRequests, weeks);
    }

    /// <summary>Each practitioner's free hours in the week: weekly hours for the working days they were not away, less the clinics they ran.</summary>
    private static List<Capacity> CapacityFor(RecordedYear year, DateOnly monday, DateOnly sunday, RequestRules rules)
    {
        var capacity = new List<Capacity>();
        foreach (var practitioner in year.Capacity.GroupBy(c => c.PractitionerId, StringComparer.Ordinal))
        {
            var current = practitioner.Where(c => c.From <= monday).OrderBy(c => c.From).LastOrDefault() ?? practitioner.Where(c => c.From <= sunday).OrderBy(c => c.From).FirstOrDefault();
            if (current is null || current.WeeklyHours <= 0)
            {
                continue;
            }

            var away = year.Unavailable.Where(u => u.PractitionerId == practitioner.Key && u.Hours is null && u.From <= sunday && u.To >= monday).ToList();
            var days = Enumerable.Range(0, 7).Select(monday.AddDays).Count(day => rules.Calendar.IsWorkingDay(day) && !away.Any(a => a.From <= day && a.To >= day));
            var clinics = year.Unavailable.Where(u => u.PractitionerId == practitioner.Key && u.Hours is { } && u.From >= monday && u.From <= sunday).Sum(u => u.Hours!.Value);
            var hours = Math.Max(0, (current.WeeklyHours * days / 5m) - clinics);
            if (hours > 0)
            {
                capacity.Add(new Capacity(practitioner.Key, current.Discipline, current.Localities, hours));
            }
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
        var inScope = year.AnnualEntitlement.Count;
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
    private static double ActualOvershare(RecordedYear year, RequestRules rules)
    {
        var firstMonday = year.From.AddDays(-(((int)year.From.DayOfWeek + 6) % 7));
        var totalDays = year.To.DayNumber - year.From.DayNumber + 1;
        var worst = 0d;
        for (var sunday = firstMonday.AddDays(6); sunday <= year.To.AddDays(6); sunday = sunday.AddDays(7))
        {
            var end = sunday;
            var elapsed = Math.Clamp(end.DayNumber - year.From.DayNumber + 1, 1, totalDays);
            var delivered = year.Demand.Where(d => d.AllocatedOn is { } on && on <= end).GroupBy(d => d.SettingUrn, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(d => d.Hours), StringComparer.Ordinal);
            var waiting = year.Demand.Where(d => d.AcceptedOn <= end && (d.AllocatedOn is null || d.AllocatedOn > end)).Select(d => d.SettingUrn).ToHashSet(StringComparer.Ordinal);
            var proRata = year.AnnualEntitlement.ToDictionary(e => e.Key, e => e.Value * elapsed / 365m, StringComparer.Ordinal);
            worst = Math.Max(worst, Overshare(delivered, proRata, waiting));
        }

        return worst;
    }

    private static double Overshare(IReadOnlyDictionary<string, decimal> delivered, IReadOnlyDictionary<string, decimal> proRata, IEnumerable<RecordedDemand> waiting) =>
        Overshare(delivered, proRata, waiting.Select(w => w.SettingUrn).ToHashSet(StringComparer.Ordinal));

    private static double Overshare(IReadOnlyDictionary<string, decimal> delivered, IReadOnlyDictionary<string, decimal> proRata, HashSet<string> waitingSettings)
    {
        var worst = 0d;
        foreach (var (urn, hours) in delivered)
        {
            // Beyond its share while another setting waits (one waiting setting that is this one does not count).
            if (proRata.GetValueOrDefault(urn) is > 0 and var share && (waitingSettings.Count > 1 || (waitingSettings.Count == 1 && !waitingSettings.Contains(urn))))
            {
                worst = Math.Max(worst, (double)(hours / share));
            }
        }

        return worst;
    }

    private static DateOnly Max(DateOnly a, DateOnly b) => a > b ? a : b;
}
