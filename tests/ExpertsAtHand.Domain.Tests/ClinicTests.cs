using ExpertsAtHand.Domain.Clinics;
using ExpertsAtHand.Domain.Requests;

namespace ExpertsAtHand.Domain.Tests;

public sealed class ClinicTests
{
    private static readonly DateOnly ClinicDay = new(2026, 11, 12);
    private static readonly DateOnly Before = ClinicDay.AddDays(-7);
    private static readonly DateTimeOffset At = new(2026, 11, 5, 10, 0, 0, TimeSpan.Zero);

    private static (ClinicState State, List<object> Events) Run(DateOnly today, params ClinicCommand[] commands)
    {
        var state = ClinicState.Initial;
        var events = new List<object>();
        foreach (var command in commands)
        {
            var decision = ClinicDecider.Decide(command, state, today);
            Assert.False(decision.IsRejected, decision.Rejection);
            events.AddRange(decision.Events);
            state = decision.Events.Aggregate(state, ClinicDecider.Evolve);
        }

        return (state, events);
    }

    private static ScheduleClinic Schedule(int places) =>
        new(Guid.NewGuid(), ClinicKind.ConsultationClinic, "Speech and language drop-in", Discipline.SpeechAndLanguageTherapy, "salt-1", ClinicDay, 3m, places, "North", "coordinator:1", At);

    [Fact]
    public void Places_are_booked_until_the_clinic_is_full_and_a_cancellation_frees_one()
    {
        var (state, _) = Run(Before, Schedule(2), new BookPlace("100001", "senco:a", At), new BookPlace("100002", "senco:b", At));

        Assert.Equal(0, state.PlacesLeft);
        Assert.Contains("fully booked", ClinicDecider.Decide(new BookPlace("100003", "senco:c", At), state, Before).Rejection, StringComparison.Ordinal);
        Assert.Contains("already has a place", ClinicDecider.Decide(new BookPlace("100001", "senco:a", At), state, Before).Rejection, StringComparison.Ordinal);

        var freed = ClinicDecider.Decide(new CancelBooking("100002", "senco:b", At), state, Before).Events.Aggregate(state, ClinicDecider.Evolve);
        Assert.Equal(1, freed.PlacesLeft);
        Assert.False(ClinicDecider.Decide(new BookPlace("100003", "senco:c", At), freed, Before).IsRejected);
    }

    [Fact]
    public void Attendance_is_taken_once_on_or_after_the_day_and_only_for_booked_settings()
    {
        var (state, _) = Run(Before, Schedule(3), new BookPlace("100001", "senco:a", At), new BookPlace("100002", "senco:b", At));

        Assert.True(ClinicDecider.Decide(new RecordAttendance(["100001"], "salt-1", At), state, Before).IsRejected);
        Assert.Contains("had no place", ClinicDecider.Decide(new RecordAttendance(["100009"], "salt-1", At), state, ClinicDay).Rejection, StringComparison.Ordinal);

        var taken = ClinicDecider.Decide(new RecordAttendance(["100001", "100001"], "salt-1", At), state, ClinicDay);
        Assert.Equal(["100001"], Assert.IsType<AttendanceRecorded>(Assert.Single(taken.Events)).Attended);
        var after = taken.Events.Aggregate(state, ClinicDecider.Evolve);
        Assert.True(ClinicDecider.Decide(new RecordAttendance(["100002"], "salt-1", At), after, ClinicDay).IsRejected);
        Assert.True(ClinicDecider.Decide(new BookPlace("100003", "senco:c", At), after, ClinicDay).IsRejected);
    }

    [Fact]
    public void A_clinic_cannot_be_scheduled_in_the_past_or_twice()
    {
        Assert.True(ClinicDecider.Decide(Schedule(5), ClinicState.Initial, ClinicDay.AddDays(1)).IsRejected);
        var (state, _) = Run(Before, Schedule(5));
        Assert.True(ClinicDecider.Decide(Schedule(5), state, Before).IsRejected);
        Assert.True(ClinicDecider.Decide(new BookPlace("100001", "senco:a", At), ClinicState.Initial, Before).IsRejected);
    }
}
