using ExpertsAtHand.Domain.Allocation;
using ExpertsAtHand.Domain.Requests;

namespace ExpertsAtHand.Domain.Tests;

/// <summary>The what-if's replay of recorded demand: deterministic, fair where first come, first served is not, and honest about what happened.</summary>
public sealed class RecordedReplayTests
{
    private static readonly DateOnly Start = new(2026, 9, 7); // a Monday
    private static readonly RequestRules Rules = RequestRules.EnglandDefault;

    /// <summary>
    /// Twelve weeks in which one eager setting asks for three sessions every Monday before four quieter
    /// settings ask for one each, against one practitioner with twelve hours a week (four sessions).
    /// </summary>
    private static RecordedYear EagerAndQuiet()
    {
        var demand = new List<RecordedDemand>();
        var n = 0;
        for (var week = 0; week < 12; week++)
        {
            var monday = Start.AddDays(week * 7);
            for (var k = 0; k < 3; k++)
            {
                demand.Add(Need(++n, "eager", monday, monday));
            }

            foreach (var quiet in new[] { "q1", "q2", "q3", "q4" })
            {
                demand.Add(Need(++n, quiet, monday, null));
            }
        }

        var settings = new[] { "eager", "q1", "q2", "q3", "q4" };
        return new RecordedYear(
            Start,
            Start.AddDays((12 * 7) - 1),
            demand,
            [new RecordedCapacity("ep-1", Discipline.EducationalPsychology, new HashSet<string> { "North" }, Start.AddDays(-30), 12)],
            [],
            [],
            settings.ToDictionary(s => s, _ => 100m),
            settings.ToHashSet(),
            new HashSet<string> { "q1" },
            settings.ToDictionary(s => s, _ => "North"));
    }

    private static RecordedDemand Need(int n, string urn, DateOnly accepted, DateOnly? allocated)
    {
        var id = new Guid(n, 0, 0, new byte[8]);
        return new RecordedDemand(id, id, urn, "North", Discipline.EducationalPsychology, Priority.Routine, 3, accepted, Rules.StartOf(accepted).AddHours(n % 24), Rules.Calendar.AddWorkingDays(accepted, 15), allocated);
    }

    [Fact]
    public void First_come_first_served_lets_the_eager_setting_take_what_the_engine_shares_out()
    {
        var year = EagerAndQuiet();
        var fcfs = RecordedReplay.Run(year, AllocationPolicy.Fcfs, outreach: false, Rules).Replayed;
        var fair = RecordedReplay.Run(year, AllocationPolicy.Fair, outreach: false, Rules).Replayed;

        Assert.Equal(fcfs.Allocated, fair.Allocated); // the same time is given either way...
        Assert.True(fair.MaxOvershare < fcfs.MaxOvershare, $"fair {fair.MaxOvershare} vs fcfs {fcfs.MaxOvershare}");
        Assert.True(fair.Top10Share < fcfs.Top10Share, $"fair {fair.Top10Share} vs fcfs {fcfs.Top10Share}"); // ...but the eager setting takes less of it
        Assert.Equal(1, fair.TopNeedQuartileCoverage);
    }

    [Fact]
    public void What_actually_happened_is_measured_from_the_recorded_allocations_and_the_replay_is_deterministic()
    {
        var year = EagerAndQuiet();
        var result = RecordedReplay.Run(year, AllocationPolicy.Fair, outreach: false, Rules);
        Assert.Equal(36, result.Actual.Allocated); // only the eager setting's needs were ever given time
        Assert.Equal(1, result.Actual.SettingsSupported);
        Assert.Equal(0, result.Actual.TopNeedQuartileCoverage);
        Assert.Equal(84, result.Actual.Demand);
        Assert.Equal(12, result.Weeks);
        Assert.Equal(result, RecordedReplay.Run(year, AllocationPolicy.Fair, outreach: false, Rules));
    }

    [Fact]
    public void An_absent_week_and_a_clinic_take_time_out_of_the_practitioners_capacity()
    {
        var year = EagerAndQuiet();
        var away = year with { Unavailable = [new RecordedUnavailability("ep-1", Start, Start.AddDays(4), null), new RecordedUnavailability("ep-1", Start.AddDays(8), Start.AddDays(8), 6)] };
        var all = RecordedReplay.Run(year, AllocationPolicy.Fcfs, outreach: false, Rules).Replayed.HoursAllocated;
        var less = RecordedReplay.Run(away, AllocationPolicy.Fcfs, outreach: false, Rules).Replayed.HoursAllocated;
        Assert.Equal(all - 12 - 6, less);
    }
}
