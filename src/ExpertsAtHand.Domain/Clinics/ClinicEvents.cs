using ExpertsAtHand.Domain.Requests;

namespace ExpertsAtHand.Domain.Clinics;

public enum ClinicKind
{
    ConsultationClinic,
    Training,
}

public sealed record ClinicScheduled(Guid ClinicId, ClinicKind Kind, string Title, Discipline Discipline, string PractitionerId, DateOnly Date, decimal Hours, int Places, string Locality, string ScheduledBy, DateTimeOffset At);

public sealed record PlaceBooked(Guid ClinicId, string SettingUrn, string BookedBy, DateTimeOffset At);

public sealed record BookingCancelled(Guid ClinicId, string SettingUrn, string CancelledBy, DateTimeOffset At);

/// <summary>Which booked settings came: each counts as delivered support, sharing the clinic's hours.</summary>
public sealed record AttendanceRecorded(Guid ClinicId, IReadOnlyList<string> Attended, string RecordedBy, DateTimeOffset At);

public abstract record ClinicCommand(string Actor, DateTimeOffset At);

public sealed record ScheduleClinic(Guid ClinicId, ClinicKind Kind, string Title, Discipline Discipline, string PractitionerId, DateOnly Date, decimal Hours, int Places, string Locality, string Actor, DateTimeOffset At) : ClinicCommand(Actor, At);

public sealed record BookPlace(string SettingUrn, string Actor, DateTimeOffset At) : ClinicCommand(Actor, At);

public sealed record CancelBooking(string SettingUrn, string Actor, DateTimeOffset At) : ClinicCommand(Actor, At);

public sealed record RecordAttendance(IReadOnlyList<string> Attended, string Actor, DateTimeOffset At) : ClinicCommand(Actor, At);

public sealed record ClinicState(bool Exists, DateOnly Date, int Places, IReadOnlyList<string> Booked, bool AttendanceTaken, string PractitionerId)
{
    public static readonly ClinicState Initial = new(false, default, 0, [], false, string.Empty);

    public Guid ClinicId { get; init; }

    public int PlacesLeft => Places - Booked.Count;
}

/// <summary>Group clinics and training with places settings book; attendance is delivered support.</summary>
public static class ClinicDecider
{
    public const string StreamType = "clinic";

    public static IReadOnlyList<(Type Type, string Name)> EventTypes { get; } =
    [
        (typeof(ClinicScheduled), "clinic-scheduled"),
        (typeof(PlaceBooked), "place-booked"),
        (typeof(BookingCancelled), "booking-cancelled"),
        (typeof(AttendanceRecorded), "attendance-recorded"),
    ];

    /// <summary><paramref name="today"/> is the local date of the command, from the caller's clock.</summary>
    public static Decision Decide(ClinicCommand command, ClinicState state, DateOnly today) => command switch
    {
        ScheduleClinic schedule => state.Exists
            ? Decision.Refuse("This clinic is already scheduled.")
            : schedule.Date < today
                ? Decision.Refuse("A clinic cannot be scheduled in the past.")
                : Decision.Of(new ClinicScheduled(schedule.ClinicId, schedule.Kind, schedule.Title, schedule.Discipline, schedule.PractitionerId, schedule.Date, schedule.Hours, schedule.Places, schedule.Locality, schedule.Actor, schedule.At)),
        _ when !state.Exists => Decision.Refuse("There is no such clinic."),
        BookPlace book => state.AttendanceTaken || state.Date < today
            ? Decision.Refuse("The clinic has already taken place.")
            : state.Booked.Contains(book.SettingUrn)
                ? Decision.Refuse("This setting already has a place.")
                : state.PlacesLeft <= 0
                    ? Decision.Refuse("The clinic is fully booked.")
                    : Decision.Of(new PlaceBooked(state.ClinicId, book.SettingUrn, book.Actor, book.At)),
        CancelBooking cancel => !state.Booked.Contains(cancel.SettingUrn)
            ? Decision.Refuse("This setting has no place to cancel.")
            : state.AttendanceTaken || state.Date < today
                ? Decision.Refuse("The clinic has already taken place.")
                : Decision.Of(new BookingCancelled(state.ClinicId, cancel.SettingUrn, cancel.Actor, cancel.At)),
        RecordAttendance attendance => state.Date > today
            ? Decision.Refuse("Attendance is recorded on or after the day of the clinic.")
            : state.AttendanceTaken
                ? Decision.Refuse("Attendance has already been recorded.")
                : attendance.Attended.FirstOrDefault(urn => !state.Booked.Contains(urn)) is { } stranger
                    ? Decision.Refuse($"Setting {stranger} had no place at this clinic.")
                    : Decision.Of(new AttendanceRecorded(state.ClinicId, [.. attendance.Attended.Distinct()], attendance.Actor, attendance.At)),
        _ => throw new ArgumentOutOfRangeException(nameof(command), command.GetType().Name, "Unknown clinic command."),
    };

    public static ClinicState Evolve(ClinicState state, object @event) => @event switch
    {
        ClinicScheduled e => new ClinicState(true, e.Date, e.Places, [], false, e.PractitionerId) { ClinicId = e.ClinicId },
        PlaceBooked e => state with { Booked = [.. state.Booked, e.SettingUrn] },
        BookingCancelled e => state with { Booked = [.. state.Booked.Where(urn => urn != e.SettingUrn)] },
        AttendanceRecorded => state with { AttendanceTaken = true },
        _ => state,
    };
}
