using ExpertsAtHand.Domain.Allocation;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Domain.Settings;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace ExpertsAtHand.Domain.Tests;

/// <summary>A random local area: settings with use and entitlement, practitioners, and waiting demand.</summary>
public sealed record Scenario(IReadOnlyList<Demand> Demand, IReadOnlyList<Capacity> Capacity, IReadOnlyDictionary<string, SettingUse> Use)
{
    private static readonly string[] Localities = ["North", "South", "East"];
    private static readonly Discipline[] Disciplines = [Discipline.EducationalPsychology, Discipline.SpeechAndLanguageTherapy, Discipline.OccupationalTherapy];

    public static Arbitrary<Scenario> Arbitrary() => Generator().ToArbitrary();

    private static Gen<Scenario> Generator() =>
        from settingCount in Gen.Choose(1, 12)
        from settings in Gen.ListOf(Setting(), settingCount)
        from practitioners in Gen.ListOf(Practitioner(), settingCount / 2 + 1)
        from demand in Gen.ListOf(DemandFor(settingCount), settingCount * 3)
        select new Scenario(
            [.. demand.Select((d, i) => d with { RequestId = new Guid(i + 1, 0, 0, new byte[8]) })],
            [.. practitioners.Select((p, i) => p with { PractitionerId = $"p-{i}" })],
            settings.Select((s, i) => (Urn: $"{100000 + i}", s)).ToDictionary(x => x.Urn, x => x.s));

    private static Gen<SettingUse> Setting() =>
        from entitlement in Gen.Choose(0, 60)
        from used in Gen.Choose(0, 60)
        select new SettingUse(used, entitlement);

    private static Gen<Capacity> Practitioner() =>
        from discipline in Gen.Elements(Disciplines)
        from localities in Gen.SubListOf(Localities)
        from hours in Gen.Choose(0, 40)
        select new Capacity(string.Empty, discipline, localities.ToHashSet(), hours);

    private static Gen<Demand> DemandFor(int settingCount) =>
        from setting in Gen.Choose(0, settingCount - 1)
        from locality in Gen.Elements(Localities)
        from discipline in Gen.Elements(Disciplines)
        from priority in Gen.Elements(Priority.Urgent, Priority.High, Priority.Routine)
        from slack in Gen.Choose(-5, 15)
        from hours in Gen.Elements(1.5m, 3m, 6.5m, 13m)
        from day in Gen.Choose(0, 30)
        select new Demand(Guid.Empty, $"{100000 + setting}", locality, discipline, priority, slack, hours, new DateTimeOffset(2026, 9, 1, 9, 0, 0, TimeSpan.Zero).AddDays(day));
}

public sealed class AllocationEngineTests
{
    [Property(Arbitrary = [typeof(Scenario)], MaxTest = 300)]
    public bool No_practitioner_hour_is_booked_twice(Scenario scenario)
    {
        var result = AllocationEngine.Propose(scenario.Demand, scenario.Capacity, scenario.Use);

        return scenario.Capacity.All(p => result.Proposals.Where(x => x.PractitionerId == p.PractitionerId).Sum(x => x.Hours) <= p.Hours)
               && result.Proposals.Select(p => p.RequestId).Distinct().Count() == result.Proposals.Count;
    }

    [Property(Arbitrary = [typeof(Scenario)], MaxTest = 300)]
    public bool Spare_capacity_is_never_left_idle_while_demand_it_could_serve_waits(Scenario scenario)
    {
        var result = AllocationEngine.Propose(scenario.Demand, scenario.Capacity, scenario.Use);
        var left = scenario.Capacity.Select(p => p with { Hours = result.RemainingHours[p.PractitionerId] }).ToList();

        return result.Waiting.All(w => !left.Any(p => AllocationEngine.CanServe(p, w)));
    }

    [Property(Arbitrary = [typeof(Scenario)], MaxTest = 300)]
    public bool No_setting_goes_beyond_its_entitlement_with_time_another_waiting_request_of_the_same_or_higher_priority_could_have_used(Scenario scenario)
    {
        var result = AllocationEngine.Propose(scenario.Demand, scenario.Capacity, scenario.Use);

        // Had the hours that took a setting beyond its entitlement at this priority or a lower one gone
        // back to the practitioner, no waiting request of that priority or a higher one that the
        // practitioner could serve would have fitted in them. (Priority comes first: an urgent request a
        // little beyond its setting's share is not kept waiting by another setting's routine one.)
        return result.Proposals.Where(p => p.Ranking.BeyondEntitlement).All(over =>
        {
            var practitioner = scenario.Capacity.Single(c => c.PractitionerId == over.PractitionerId);
            var beyondOnPractitioner = result.Proposals.Where(p => p.PractitionerId == over.PractitionerId && p.Ranking.BeyondEntitlement && p.Ranking.Priority >= over.Ranking.Priority).Sum(p => p.Hours);
            var couldHaveHad = practitioner with { Hours = result.RemainingHours[practitioner.PractitionerId] + beyondOnPractitioner };
            return !result.Waiting.Any(w => w.SettingUrn != over.SettingUrn
                                            && w.Priority <= over.Ranking.Priority
                                            && scenario.Use.TryGetValue(w.SettingUrn, out var use)
                                            && use.UsedHours + result.Proposals.Where(p => p.SettingUrn == w.SettingUrn).Sum(p => p.Hours) + w.Hours <= use.EntitlementHours
                                            && AllocationEngine.CanServe(couldHaveHad, w));
        });
    }

    [Property(Arbitrary = [typeof(Scenario)], MaxTest = 200)]
    public bool The_same_inputs_in_any_order_give_the_same_proposals(Scenario scenario)
    {
        var first = AllocationEngine.Propose(scenario.Demand, scenario.Capacity, scenario.Use);
        var shuffled = AllocationEngine.Propose([.. scenario.Demand.Reverse()], [.. scenario.Capacity.Reverse()], scenario.Use.Reverse().ToDictionary());

        return first.Proposals.SequenceEqual(shuffled.Proposals);
    }

    [Fact]
    public void Urgent_comes_first_then_least_slack_then_the_setting_furthest_below_its_fair_share()
    {
        var ep = new Capacity("ep-1", Discipline.EducationalPsychology, new HashSet<string> { "North" }, 30);
        var accepted = new DateTimeOffset(2026, 10, 1, 9, 0, 0, TimeSpan.Zero);
        Demand Ask(int id, string urn, Priority priority, int slack) => new(new Guid(id, 0, 0, new byte[8]), urn, "North", Discipline.EducationalPsychology, priority, slack, 6.5m, accepted);
        var use = new Dictionary<string, SettingUse> { ["eager"] = new(50, 100), ["quiet"] = new(5, 100) };

        var result = AllocationEngine.Propose(
            [Ask(1, "eager", Priority.Routine, 10), Ask(2, "quiet", Priority.Routine, 10), Ask(3, "eager", Priority.Routine, 2), Ask(4, "eager", Priority.Urgent, 12)],
            [ep],
            use);

        Assert.Equal([4, 3, 2, 1], result.Proposals.Select(p => BitConverter.ToInt32(p.RequestId.ToByteArray(), 0)));
        Assert.Equal(0.565m, result.Proposals[1].Ranking.UseRatio); // 50 + 6.5 for its urgent request, of 100
        Assert.Contains("Ranked 3: Routine priority", AllocationEngine.Explain(result.Proposals[2]), StringComparison.Ordinal);
        Assert.Contains("5 of its 100 hours", AllocationEngine.Explain(result.Proposals[2]), StringComparison.Ordinal);
    }

    [Fact]
    public void A_setting_that_asks_often_gets_only_time_nobody_within_their_share_could_use()
    {
        var salt = new Capacity("salt-1", Discipline.SpeechAndLanguageTherapy, new HashSet<string> { "North" }, 13);
        Demand Ask(int id, string urn, int slack) => new(new Guid(id, 0, 0, new byte[8]), urn, "North", Discipline.SpeechAndLanguageTherapy, Priority.Routine, slack, 6.5m, DateTimeOffset.UnixEpoch);
        var use = new Dictionary<string, SettingUse> { ["eager"] = new(20, 26), ["quiet"] = new(0, 26) };

        var result = AllocationEngine.Propose([Ask(1, "eager", 0), Ask(2, "eager", 0), Ask(3, "quiet", 9)], [salt], use);

        // The quiet setting is served first despite more slack; the eager one, at 20 of its 26 hours,
        // gets the leftover block only because no one within their share could use it.
        Assert.Equal(["quiet", "eager"], result.Proposals.Select(p => p.SettingUrn));
        Assert.Equal([false, true], result.Proposals.Select(p => p.Ranking.BeyondEntitlement));
        Assert.Equal("eager", Assert.Single(result.Waiting).SettingUrn);
        Assert.Contains("beyond its entitlement", AllocationEngine.Explain(result.Proposals[1]), StringComparison.Ordinal);
    }

    [Fact]
    public void An_average_primary_is_entitled_to_40_days_and_an_average_secondary_to_160()
    {
        var formula = EntitlementFormula.Default;
        SettingDetails Average(Phase phase, int roll) => new("Average", phase, "North", true, roll, 24m, 14m, 2.5m, null, true);

        Assert.Equal(40m, formula.AnnualDays(Average(Phase.Primary, 280)));
        Assert.Equal(160m, formula.AnnualDays(Average(Phase.Secondary, 1_000)));
        Assert.True(formula.AnnualHours(Average(Phase.Primary, 280) with { PercentFsm = 48m }) > formula.AnnualHours(Average(Phase.Primary, 280)));
        Assert.Equal(2026, EntitlementFormula.AcademicYear(new DateOnly(2027, 8, 31)));
        Assert.Equal(2027, EntitlementFormula.AcademicYear(new DateOnly(2027, 9, 1)));
    }
}

public sealed class SimulationTests
{
    [Fact]
    public void With_a_quarter_of_settings_asking_three_times_as_often_fair_allocation_keeps_shares_and_reaches_high_need()
    {
        const int seed = 1;
        var fair = Simulation.Run(new SimulationOptions(150, 52, seed, 0.25, 3, AllocationPolicy.Fair));
        var fcfs = Simulation.Run(new SimulationOptions(150, 52, seed, 0.25, 3, AllocationPolicy.Fcfs));

        Assert.InRange(fair.MaxOvershare, 0, 1.1);
        Assert.InRange(fair.HighNeedCoverage, 0.95, 1);
        Assert.True(fcfs.MaxOvershare > 2 * fair.MaxOvershare, $"fcfs {fcfs.MaxOvershare} vs fair {fair.MaxOvershare}");
        Assert.True(fair.Top10Share < fcfs.Top10Share);
        Assert.True(fair.SlaFirstContact > fcfs.SlaFirstContact);
        Assert.Equal(fair.CapacityHours, fcfs.CapacityHours);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Where_high_need_settings_rarely_ask_outreach_with_fair_allocation_reaches_more_of_them_than_first_come_first_served(int seed)
    {
        // The top need quartile asks a fiftieth as often as the rest: about once a year.
        var quietFcfs = Simulation.Run(new SimulationOptions(120, 39, seed, 0.25, 3, AllocationPolicy.Fcfs, QuietHighNeed: 0.02));
        var quietFairWithOutreach = Simulation.Run(new SimulationOptions(120, 39, seed, 0.25, 3, AllocationPolicy.Fair, QuietHighNeed: 0.02, Outreach: true));

        Assert.True(quietFcfs.QuietHighNeedCoverage < quietFairWithOutreach.QuietHighNeedCoverage, $"fcfs {quietFcfs.QuietHighNeedCoverage} vs fair with outreach {quietFairWithOutreach.QuietHighNeedCoverage}");
        Assert.InRange(quietFairWithOutreach.QuietHighNeedCoverage, 0.95, 1);
        Assert.True(quietFairWithOutreach.OutreachOffers > 0);
        Assert.InRange(quietFairWithOutreach.OutreachRequests, 1, quietFairWithOutreach.OutreachOffers);
        Assert.Equal(0, quietFcfs.OutreachOffers);
    }

    [Fact]
    public void Switching_outreach_on_leaves_everyone_elses_demand_as_it_was_and_the_defaults_play_todays_year()
    {
        var without = Simulation.Run(new SimulationOptions(60, 20, 3, 0.25, 3, AllocationPolicy.Fair));
        var explicitDefaults = Simulation.Run(new SimulationOptions(60, 20, 3, 0.25, 3, AllocationPolicy.Fair, QuietHighNeed: 1, Outreach: false));
        var withOutreach = Simulation.Run(new SimulationOptions(60, 20, 3, 0.25, 3, AllocationPolicy.Fair, Outreach: true));

        Assert.Equal(without, explicitDefaults);
        Assert.Equal(without.Requests + withOutreach.OutreachRequests, withOutreach.Requests);
    }

    [Fact]
    public void The_same_seed_plays_the_same_year()
    {
        var options = new SimulationOptions(40, 12, 7, 0.25, 3, AllocationPolicy.Fair);

        Assert.Equal(Simulation.Run(options), Simulation.Run(options));
    }
}
