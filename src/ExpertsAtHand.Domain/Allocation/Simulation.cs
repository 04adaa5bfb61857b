using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Domain.Settings;

namespace ExpertsAtHand.Domain.Allocation;

public enum AllocationPolicy
{
    /// <summary>The allocation engine: priority, slack, fair share, entitlement first.</summary>
    Fair,

    /// <summary>First come, first served: the order requests arrived in, no regard to share.</summary>
    Fcfs,
}

/// <summary>
/// One simulated year. <c>QuietHighNeed</c>: how often the top need quartile asks compared with other
/// settings (1: as often; 0.3: less than a third as often), independent of the proactive share.
/// <c>Outreach</c>: each week the outreach rule offers time to top-quartile settings below
/// <c>OutreachMaxUse</c> of their share that have asked nothing for <c>OutreachQuietWeeks</c>; a share
/// <c>OutreachTakeUp</c> of offers becomes a request.
/// </summary>
public sealed record SimulationOptions(
    int Settings,
    int Weeks,
    int Seed,
    double ProactiveShare,
    double ProactiveMultiplier,
    AllocationPolicy Policy,
    double QuietHighNeed = 1,
    bool Outreach = false,
    double OutreachTakeUp = 0.5,
    int OutreachQuietWeeks = 12,
    decimal OutreachMaxUse = 0.25m);

public sealed record SimulationResult(
    AllocationPolicy Policy,
    double Top10Share,
    double HighNeedCoverage,
    double MaxOvershare,
    double SlaFirstContact,
    int Requests,
    int Allocated,
    decimal DeliveredHours,
    decimal CapacityHours,
    int OutreachOffers,
    int OutreachRequests)
{
    /// <summary>The quiet settings are the top need quartile: this is <see cref="HighNeedCoverage"/> under the name the quiet scenario reports it by.</summary>
    public double QuietHighNeedCoverage => HighNeedCoverage;
}

/// <summary>
/// A synthetic year of demand for one local area, played week by week through an allocation policy.
/// Capacity covers total entitlement; a share of settings ask several times as often as the rest.
/// Deterministic for a seed.
/// </summary>
public static class Simulation
{
    private const decimal SessionHours = 3m; // an EP "session" is commonly three hours
    private static readonly string[] Localities = ["North", "South", "East", "West", "Central"];
    private static readonly Discipline[] Disciplines = [Discipline.EducationalPsychology, Discipline.SpeechAndLanguageTherapy, Discipline.OccupationalTherapy];

    public static SimulationResult Run(SimulationOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Settings, 4);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Weeks, 4);
        var random = new Random(options.Seed);
        var formula = EntitlementFormula.Default;
        var settings = Enumerable.Range(0, options.Settings).Select(i => SyntheticSetting(i, random)).ToList();
        var annual = settings.ToDictionary(s => s.Urn, s => formula.AnnualHours(s.Details) * options.Weeks / 52m);
        var need = settings.ToDictionary(s => s.Urn, s => formula.NeedMultiplier(s.Details));
        var highNeed = settings.OrderByDescending(s => need[s.Urn]).ThenBy(s => s.Urn, StringComparer.Ordinal).Take(Math.Max(1, options.Settings / 4)).Select(s => s.Urn).ToHashSet();
        var proactive = settings.OrderBy(_ => random.Next()).Take((int)Math.Round(options.Settings * options.ProactiveShare)).Select(s => s.Urn).ToHashSet();

        // Outreach draws from a stream of its own, so switching it on leaves everyone else's demand as it was.
        var outreachRandom = new Random(unchecked((options.Seed * 7919) + 17));
        var lastAsked = settings.ToDictionary(s => s.Urn, _ => int.MinValue / 2);
        var lastOffered = settings.ToDictionary(s => s.Urn, _ => int.MinValue / 2);
        var offers = 0;
        var outreachRequests = 0;
        var byUrn = settings.ToDictionary(s => s.Urn, s => s.Details);
        var nextId = 1;
        Demand NewDemand(string urn, Priority priority, int week, Random draw) => new(
            new Guid(nextId++, 0, 0, new byte[8]), urn, byUrn[urn].Locality, Disciplines[draw.Next(Disciplines.Length)], priority,
            StandardWeeks(priority) * 5, SessionHours, DateTimeOffset.UnixEpoch.AddDays((week * 7) + draw.NextDouble()));

        // Capacity covers total entitlement over the period, spread evenly across weeks and disciplines.
        var totalEntitlement = annual.Values.Sum();
        var weeklyPerDiscipline = Math.Round(totalEntitlement / options.Weeks / Disciplines.Length, 1);

        // Demand: every setting asks in proportion to its entitlement, and specialist time is scarce, so
        // even an ordinary setting asks for a quarter more than its share; proactive ones several times that.
        const double OrdinaryDemand = 1.25;
        var baseRate = settings.ToDictionary(s => s.Urn, s => OrdinaryDemand * (double)(annual[s.Urn] / SessionHours / options.Weeks));
        var delivered = settings.ToDictionary(s => s.Urn, _ => 0m);
        var waiting = new List<(Demand Demand, int ArrivedWeek)>();
        var requests = 0;
        var allocated = 0;
        var withinStandard = 0;
        var maxOvershare = 0d;
        for (var week = 0; week < options.Weeks; week++)
        {
            foreach (var setting in settings)
            {
                var rate = baseRate[setting.Urn] * (proactive.Contains(setting.Urn) ? options.ProactiveMultiplier : 1) * (highNeed.Contains(setting.Urn) ? options.QuietHighNeed : 1);
                for (var k = Poisson(rate, random); k > 0; k--)
                {
                    var priority = random.NextDouble() switch { < 0.1 => Priority.Urgent, < 0.3 => Priority.High, _ => Priority.Routine };
                    waiting.Add((NewDemand(setting.Urn, priority, week, random), week));
                    requests++;
                    lastAsked[setting.Urn] = week;
                }
            }

            var proRata = annual.ToDictionary(a => a.Key, a => a.Value * (week + 1) / options.Weeks);
            if (options.Outreach)
            {
                // The outreach list's rule: high need, little use of the share, quiet for the last weeks (and not offered in them).
                foreach (var urn in highNeed.Order(StringComparer.Ordinal))
                {
                    if (delivered[urn] >= proRata[urn] * options.OutreachMaxUse || week - lastAsked[urn] < options.OutreachQuietWeeks || week - lastOffered[urn] < options.OutreachQuietWeeks)
                    {
                        continue;
                    }

                    offers++;
                    lastOffered[urn] = week;
                    if (outreachRandom.NextDouble() < options.OutreachTakeUp)
                    {
                        waiting.Add((NewDemand(urn, Priority.Routine, week, outreachRandom), week));
                        requests++;
                        outreachRequests++;
                        lastAsked[urn] = week;
                    }
                }
            }

            var capacity = Disciplines.Select(d => new Capacity($"{d}", d, Localities.ToHashSet(), weeklyPerDiscipline)).ToList();
            var slackNow = waiting.Select(w => w.Demand with { SlackWorkingDays = (StandardWeeks(w.Demand.Priority) - (week - w.ArrivedWeek)) * 5 }).ToList();
            var proposals = options.Policy == AllocationPolicy.Fair
                ? AllocationEngine.Propose(slackNow, capacity, delivered.ToDictionary(d => d.Key, d => new SettingUse(d.Value, proRata[d.Key]))).Proposals.Select(p => p.RequestId).ToHashSet()
                : FirstComeFirstServed(slackNow, capacity);

            foreach (var (demand, arrived) in waiting.Where(w => proposals.Contains(w.Demand.RequestId)).ToList())
            {
                delivered[demand.SettingUrn] += demand.Hours;
                allocated++;
                if (week - arrived <= StandardWeeks(demand.Priority))
                {
                    withinStandard++;
                }
            }

            waiting.RemoveAll(w => proposals.Contains(w.Demand.RequestId));

            // Quarterly monitoring points: how far beyond its pro-rata share a setting got while others waited.
            if ((week + 1) % Math.Max(1, options.Weeks / 4) == 0 && waiting.Count > 0)
            {
                foreach (var (urn, hours) in delivered)
                {
                    if (proRata[urn] > 0 && waiting.Any(w => w.Demand.SettingUrn != urn))
                    {
                        maxOvershare = Math.Max(maxOvershare, (double)(hours / proRata[urn]));
                    }
                }
            }
        }

        var totalDelivered = delivered.Values.Sum();
        var top10 = delivered.Values.OrderByDescending(h => h).Take(Math.Max(1, options.Settings / 10)).Sum();
        return new SimulationResult(
            options.Policy,
            totalDelivered == 0 ? 0 : (double)(top10 / totalDelivered),
            highNeed.Count(urn => delivered[urn] > 0) / (double)highNeed.Count,
            maxOvershare,
            allocated == 0 ? 0 : withinStandard / (double)allocated,
            requests,
            allocated,
            totalDelivered,
            weeklyPerDiscipline * Disciplines.Length * options.Weeks,
            offers,
            outreachRequests);
    }

    private static HashSet<Guid> FirstComeFirstServed(List<Demand> waiting, List<Capacity> capacity)
    {
        var left = capacity.ToDictionary(c => c.Discipline, c => c.Hours);
        var chosen = new HashSet<Guid>();
        foreach (var demand in waiting.OrderBy(d => d.AcceptedAt).ThenBy(d => d.RequestId))
        {
            if (left[demand.Discipline] >= demand.Hours)
            {
                left[demand.Discipline] -= demand.Hours;
                chosen.Add(demand.RequestId);
            }
        }

        return chosen;
    }

    private static int StandardWeeks(Priority priority) => priority switch
    {
        Priority.Urgent => 0, // 2 working days: the same week
        Priority.High => 1,
        _ => 3,
    };

    private static (string Urn, SettingDetails Details) SyntheticSetting(int index, Random random)
    {
        var phase = random.NextDouble() switch
        {
            < 0.25 => Phase.EarlyYears,
            < 0.75 => Phase.Primary,
            < 0.90 => Phase.Secondary,
            < 0.94 => Phase.FurtherEducation,
            < 0.97 => Phase.AlternativeProvision,
            _ => Phase.AllThrough,
        };
        var roll = phase switch
        {
            Phase.EarlyYears => random.Next(20, 90),
            Phase.Primary => random.Next(90, 630),
            Phase.AlternativeProvision => random.Next(15, 90),
            _ => random.Next(600, 1_800),
        };
        var details = new SettingDetails($"Setting {index}", phase, Localities[index % Localities.Length], true, roll, random.Next(3, 60), random.Next(6, 25), (decimal)(random.Next(5, 60) / 10.0), null, true);
        return ((900_000 + index).ToString(System.Globalization.CultureInfo.InvariantCulture), details);
    }

    // Knuth's method: fine for the small weekly rates here.
    private static int Poisson(double rate, Random random)
    {
        var limit = Math.Exp(-rate);
        var count = 0;
        for (var product = random.NextDouble(); product > limit; product *= random.NextDouble())
        {
            count++;
        }

        return count;
    }
}
