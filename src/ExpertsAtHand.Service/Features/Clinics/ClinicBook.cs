using ExpertsAtHand.Domain.Clinics;
using ExpertsAtHand.Service.EventLog;
using ExpertsAtHand.Service.Features.Requests;
using ExpertsAtHand.Service.Hosting;
using Npgsql;

namespace ExpertsAtHand.Service.Features.Clinics;

/// <summary>What became of a clinic command: done, refused with the reason, or no such clinic.</summary>
public abstract record ClinicOutcome
{
    private ClinicOutcome()
    {
    }

    public sealed record Done : ClinicOutcome;

    public sealed record Refused(string Reason) : ClinicOutcome;

    public sealed record NotFound : ClinicOutcome;
}

/// <summary>
/// The area's clinics: deciding a command against a clinic's history, the checks a new clinic must
/// pass, and reading clinics as the caller may see them. The API and the pages both come here.
/// </summary>
public sealed class ClinicBook(Marten.IDocumentStore store, NpgsqlDataSource dataSource, Practitioners.PractitionerDirectory practitioners, RequestRulesCatalog rules, TimeProvider clock)
{
    /// <summary>
    /// Decides against the clinic's current state and appends; two bookings racing for the last place
    /// both read it free, one append wins, and the other decides again against the new state.
    /// </summary>
    public async Task<ClinicOutcome> DecideAsync(Caller caller, Guid id, Func<DateTimeOffset, ClinicCommand> command, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var decided = command(now);
        var today = rules.For(caller.Tenant).LocalDate(now);
        for (var attempt = 0; ; attempt++)
        {
            await using var session = store.OpenFor(caller.Tenant, caller.Actor);
            var (events, version) = await session.ReadStreamAsync(id, cancellationToken).ConfigureAwait(false);
            if (version == 0 && decided is not ScheduleClinic)
            {
                return new ClinicOutcome.NotFound();
            }

            var decision = ClinicDecider.Decide(decided, events.Select(e => e.Data).Aggregate(ClinicState.Initial, ClinicDecider.Evolve), today);
            if (decision.IsRejected)
            {
                return new ClinicOutcome.Refused(decision.Rejection!);
            }

            if (decision.Events.Count == 0)
            {
                return new ClinicOutcome.Done();
            }

            session.AppendAfter(id, version, decision.Events);
            try
            {
                await session.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                return new ClinicOutcome.Done();
            }
            catch (Exception conflict) when (AreaSessions.IsConflict(conflict) && attempt < 4)
            {
                // someone else changed the clinic first: decide again
            }
        }
    }

    /// <summary>
    /// What a well-formed clinic must also satisfy: a practitioner of its discipline, a working day at
    /// most two years ahead, one of the area's localities (returned as the area spells it).
    /// </summary>
    public async Task<string?> CheckScheduleAsync(HttpContext http, Caller caller, ScheduleClinicBody body, Dictionary<string, string[]> errors)
    {
        if (await practitioners.ActiveDisciplineAsync(caller.Tenant, body.PractitionerId!, http.RequestAborted).ConfigureAwait(false) != body.Discipline)
        {
            errors["practitionerId"] = [$"No active {body.Discipline} practitioner {body.PractitionerId} in your local area."];
        }

        var area = rules.For(caller.Tenant);
        var date = body.Date!.Value;
        var latest = area.LocalDate(clock.GetUtcNow()).AddYears(2);
        if (date > latest)
        {
            errors["date"] = [$"A clinic is scheduled at most two years ahead (by {latest:yyyy-MM-dd})."];
        }
        else if (!area.Calendar.IsWorkingDay(date))
        {
            errors["date"] = [$"{date:yyyy-MM-dd} is {(date.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? "a weekend" : "a bank holiday")}: choose a working day."];
        }

        return await AreaLocalities.CanonicalAsync(http, caller.Tenant, body.Locality, "locality", errors).ConfigureAwait(false);
    }

    /// <summary>The area's clinics from a day (today by default), soonest first.</summary>
    public async Task<IReadOnlyList<ClinicView>> ListAsync(Caller caller, DateOnly? from, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM rm_clinics WHERE tenant_id = $1 AND clinic_date >= $2 ORDER BY clinic_date, title");
        command.Parameters.Add(new NpgsqlParameter { Value = caller.Tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = from ?? Today(caller) });
        var views = new List<ClinicView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            views.Add(Read(reader, caller));
        }

        return views;
    }

    public async Task<ClinicView?> ReadAsync(Caller caller, Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM rm_clinics WHERE tenant_id = $1 AND clinic_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = caller.Tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader, caller) : null;
    }

    /// <summary>A SENCO books and gives back places for their own settings; a coordinator for any.</summary>
    public static bool MayBookFor(Caller caller, string urn) => caller.Is(Roles.Coordinator) || (caller.Is(Roles.Senco) && caller.SettingUrns.Contains(urn, StringComparer.Ordinal));

    /// <summary>Attendance is recorded by the practitioner who ran the clinic, or a coordinator.</summary>
    public static bool MayTakeAttendance(Caller caller, ClinicView clinic) => caller.Is(Roles.Coordinator) || (caller.Is(Roles.Practitioner) && caller.PractitionerId == clinic.PractitionerId);

    public DateOnly Today(Caller caller) => rules.For(caller.Tenant).LocalDate(clock.GetUtcNow());

    private const string Columns = "clinic_id, kind, title, discipline, practitioner_id, clinic_date, hours, places, locality, booked, attendance_taken";

    private static ClinicView Read(NpgsqlDataReader reader, Caller caller)
    {
        var booked = reader.GetFieldValue<string[]>(9);
        var practitioner = reader.GetString(4);
        // A SENCO sees only whether their own settings have places, not which other schools booked.
        var visible = caller.Is(Roles.Coordinator) || caller.PractitionerId == practitioner ? booked : [.. booked.Where(urn => caller.SettingUrns.Contains(urn, StringComparer.Ordinal))];
        return new ClinicView(
            reader.GetGuid(0), Enum.Parse<ClinicKind>(reader.GetString(1)), reader.GetString(2), Enum.Parse<Domain.Requests.Discipline>(reader.GetString(3)), practitioner,
            reader.GetFieldValue<DateOnly>(5), reader.GetDecimal(6), reader.GetInt32(7), reader.GetInt32(7) - booked.Length, reader.GetString(8), visible, reader.GetBoolean(10));
    }
}
