using ExpertsAtHand.Domain.Clinics;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.EventLog;
using ExpertsAtHand.Service.Features.Requests;
using ExpertsAtHand.Service.Hosting;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using static ExpertsAtHand.Service.Hosting.HttpConventions;

namespace ExpertsAtHand.Service.Features.Clinics;

public sealed record ScheduleClinicBody(ClinicKind? Kind, string? Title, Discipline? Discipline, string? PractitionerId, DateOnly? Date, decimal? Hours, int? Places, string? Locality);

public sealed record BookingBody(string? SettingUrn);

public sealed record AttendanceBody(IReadOnlyList<string>? Attended);

/// <summary>A clinic as people see it; other settings' bookings are shown only to coordinators and the practitioner running it.</summary>
public sealed record ClinicView(Guid Id, ClinicKind Kind, string Title, Discipline Discipline, string PractitionerId, DateOnly Date, decimal Hours, int Places, int PlacesLeft, string Locality, IReadOnlyList<string> Booked, bool AttendanceTaken);

internal sealed class ScheduleClinicValidator : AbstractValidator<ScheduleClinicBody>
{
    public ScheduleClinicValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop;
        RuleFor(x => x.Kind).NotNull();
        RuleFor(x => x.Title).NotEmpty().MaximumLength(200);
        RuleFor(x => x.Discipline).NotNull();
        RuleFor(x => x.PractitionerId).NotEmpty().MaximumLength(64);
        RuleFor(x => x.Date).NotNull();
        RuleFor(x => x.Hours).NotNull().InclusiveBetween(0.5m, 8m);
        RuleFor(x => x.Places).NotNull().InclusiveBetween(1, 200);
        RuleFor(x => x.Locality).NotEmpty().MaximumLength(100);
    }
}

internal sealed class BookingValidator : AbstractValidator<BookingBody>
{
    public BookingValidator() => RuleFor(x => x.SettingUrn).NotEmpty().Matches("^[0-9]{5,8}$").WithMessage("A setting URN is 5 to 8 digits.");
}

internal sealed class AttendanceValidator : AbstractValidator<AttendanceBody>
{
    public AttendanceValidator() => RuleFor(x => x.Attended).NotNull();
}

/// <summary>Consultation clinics and training with places that settings book; attendance is delivered support.</summary>
public static class ClinicEndpoints
{
    public static IEndpointRouteBuilder MapClinics(this IEndpointRouteBuilder endpoints)
    {
        var clinics = endpoints.MapGroup("/api/clinics").WithTags("Clinics").RequireAuthorization("member").ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        clinics.MapPost("/", ScheduleAsync).WithName("ScheduleClinic").WithSummary("A coordinator schedules a consultation clinic or training with a number of places.")
            .Produces<ClinicView>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict).AcceptingIdempotencyKey();
        clinics.MapGet("/", ListAsync).WithName("ListClinics").WithSummary("Clinics from a date (default today), soonest first.").Produces<IReadOnlyList<ClinicView>>();
        clinics.MapPost("/{id:guid}/bookings", BookAsync).WithName("BookClinicPlace").WithSummary("A SENCO books a place for their setting (a coordinator for any setting).")
            .Produces<ClinicView>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        clinics.MapDelete("/{id:guid}/bookings/{urn}", CancelAsync).WithName("CancelClinicPlace").WithSummary("Give a place back before the clinic.")
            .Produces<ClinicView>().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        clinics.MapPost("/{id:guid}/attendance", AttendAsync).WithName("RecordClinicAttendance").WithSummary("The practitioner who ran it (or a coordinator) records which booked settings came.")
            .Produces<ClinicView>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return endpoints;
    }

    private static async Task<IResult> ScheduleAsync([FromBody] ScheduleClinicBody? body, HttpContext http, IValidator<ScheduleClinicBody> validator, Marten.IDocumentStore store, NpgsqlDataSource dataSource, RequestRulesCatalog rules, TimeProvider clock, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Coordinator))
        {
            return Problems.Forbidden("Clinics are scheduled by coordinators.");
        }

        if (await ValidateAsync(validator, body, cancellationToken).ConfigureAwait(false) is { } invalid)
        {
            return invalid;
        }

        if (await Practitioners.PractitionerEndpoints.ActiveDisciplineAsync(dataSource, caller.Tenant, body!.PractitionerId!, cancellationToken).ConfigureAwait(false) != body.Discipline)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["practitionerId"] = [$"No active {body.Discipline} practitioner {body.PractitionerId} in your local area."] });
        }

        // Settings are closed on weekends and bank holidays, and a clinic is held in one of the area's localities.
        var errors = new Dictionary<string, string[]>();
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

        var locality = await AreaLocalities.CanonicalAsync(http, caller.Tenant, body.Locality, "locality", errors).ConfigureAwait(false);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Some of what was sent is not valid");
        }

        var id = IdempotentCreates.IdFor(http, "clinic") ?? Guid.CreateVersion7();
        var now = clock.GetUtcNow();
        var command = new ScheduleClinic(id, body.Kind!.Value, body.Title!, body.Discipline!.Value, body.PractitionerId!, body.Date!.Value, body.Hours!.Value, body.Places!.Value, locality!, caller.Actor, now);
        var outcome = await DecideAsync(store, caller, id, command, rules.For(caller.Tenant).LocalDate(now), cancellationToken).ConfigureAwait(false);
        return outcome is { } refused ? refused : TypedResults.Created($"/api/clinics/{id}", await ReadAsync(dataSource, caller, id, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> BookAsync(Guid id, [FromBody] BookingBody? body, HttpContext http, IValidator<BookingBody> validator, Marten.IDocumentStore store, NpgsqlDataSource dataSource, RequestRulesCatalog rules, TimeProvider clock, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (await ValidateAsync(validator, body, cancellationToken).ConfigureAwait(false) is { } invalid)
        {
            return invalid;
        }

        if (!(caller.Is(Roles.Coordinator) || (caller.Is(Roles.Senco) && caller.SettingUrns.Contains(body!.SettingUrn!, StringComparer.Ordinal))))
        {
            return Problems.Forbidden("A SENCO books places for their own setting; a coordinator for any.");
        }

        var now = clock.GetUtcNow();
        return await DecideAsync(store, caller, id, new BookPlace(body!.SettingUrn!, caller.Actor, now), rules.For(caller.Tenant).LocalDate(now), cancellationToken).ConfigureAwait(false)
               ?? TypedResults.Ok(await ReadAsync(dataSource, caller, id, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> CancelAsync(Guid id, string urn, HttpContext http, Marten.IDocumentStore store, NpgsqlDataSource dataSource, RequestRulesCatalog rules, TimeProvider clock, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!(caller.Is(Roles.Coordinator) || (caller.Is(Roles.Senco) && caller.SettingUrns.Contains(urn, StringComparer.Ordinal))))
        {
            return Problems.Forbidden("A SENCO gives back their own setting's place; a coordinator any.");
        }

        var now = clock.GetUtcNow();
        return await DecideAsync(store, caller, id, new CancelBooking(urn, caller.Actor, now), rules.For(caller.Tenant).LocalDate(now), cancellationToken).ConfigureAwait(false)
               ?? TypedResults.Ok(await ReadAsync(dataSource, caller, id, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> AttendAsync(Guid id, [FromBody] AttendanceBody? body, HttpContext http, IValidator<AttendanceBody> validator, Marten.IDocumentStore store, NpgsqlDataSource dataSource, RequestRulesCatalog rules, TimeProvider clock, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (await ValidateAsync(validator, body, cancellationToken).ConfigureAwait(false) is { } invalid)
        {
            return invalid;
        }

        var clinic = await ReadAsync(dataSource, caller, id, cancellationToken).ConfigureAwait(false);
        if (clinic is null)
        {
            return Problems.NotFound("clinic");
        }

        if (!(caller.Is(Roles.Coordinator) || (caller.Is(Roles.Practitioner) && caller.PractitionerId == clinic.PractitionerId)))
        {
            return Problems.Forbidden("Attendance is recorded by the practitioner who ran the clinic, or a coordinator.");
        }

        var now = clock.GetUtcNow();
        return await DecideAsync(store, caller, id, new RecordAttendance(body!.Attended!, caller.Actor, now), rules.For(caller.Tenant).LocalDate(now), cancellationToken).ConfigureAwait(false)
               ?? TypedResults.Ok(await ReadAsync(dataSource, caller, id, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Decides against the clinic's current state and appends; two bookings racing for the last place
    /// both read it free, one append wins, and the other decides again against the new state.
    /// </summary>
    private static async Task<IResult?> DecideAsync(Marten.IDocumentStore store, Caller caller, Guid id, ClinicCommand command, DateOnly today, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            await using var session = store.OpenFor(caller.Tenant, caller.Actor);
            var (events, version) = await session.ReadStreamAsync(id, cancellationToken).ConfigureAwait(false);
            if (version == 0 && command is not ScheduleClinic)
            {
                return Problems.NotFound("clinic");
            }

            var decision = ClinicDecider.Decide(command, events.Select(e => e.Data).Aggregate(ClinicState.Initial, ClinicDecider.Evolve), today);
            if (decision.IsRejected)
            {
                return TypedResults.Problem(title: "That cannot be done to this clinic now", detail: decision.Rejection, statusCode: StatusCodes.Status409Conflict);
            }

            if (decision.Events.Count == 0)
            {
                return null;
            }

            session.AppendAfter(id, version, decision.Events);
            try
            {
                await session.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                return null;
            }
            catch (Exception conflict) when (AreaSessions.IsConflict(conflict) && attempt < 4)
            {
                // someone else changed the clinic first: decide again
            }
        }
    }

    private static async Task<IResult> ListAsync(HttpContext http, NpgsqlDataSource dataSource, RequestRulesCatalog rules, TimeProvider clock, DateOnly? from, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Coordinator, Roles.Senco, Roles.Practitioner))
        {
            return Problems.Forbidden("Clinics are for coordinators, SENCOs and practitioners.");
        }

        var errors = new Dictionary<string, string[]>();
        QueryValues.InRange(from, "from", errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM rm_clinics WHERE tenant_id = $1 AND clinic_date >= $2 ORDER BY clinic_date, title");
        command.Parameters.Add(new NpgsqlParameter { Value = caller.Tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = from ?? rules.For(caller.Tenant).LocalDate(clock.GetUtcNow()) });
        var views = new List<ClinicView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            views.Add(Read(reader, caller));
        }

        return TypedResults.Ok<IReadOnlyList<ClinicView>>(views);
    }

    private const string Columns = "clinic_id, kind, title, discipline, practitioner_id, clinic_date, hours, places, locality, booked, attendance_taken";

    private static async Task<ClinicView?> ReadAsync(NpgsqlDataSource dataSource, Caller caller, Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM rm_clinics WHERE tenant_id = $1 AND clinic_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = caller.Tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader, caller) : null;
    }

    private static ClinicView Read(NpgsqlDataReader reader, Caller caller)
    {
        var booked = reader.GetFieldValue<string[]>(9);
        var practitioner = reader.GetString(4);
        // A SENCO sees only whether their own settings have places, not which other schools booked.
        var visible = caller.Is(Roles.Coordinator) || caller.PractitionerId == practitioner ? booked : [.. booked.Where(urn => caller.SettingUrns.Contains(urn, StringComparer.Ordinal))];
        return new ClinicView(
            reader.GetGuid(0), Enum.Parse<ClinicKind>(reader.GetString(1)), reader.GetString(2), Enum.Parse<Discipline>(reader.GetString(3)), practitioner,
            reader.GetFieldValue<DateOnly>(5), reader.GetDecimal(6), reader.GetInt32(7), reader.GetInt32(7) - booked.Length, reader.GetString(8), visible, reader.GetBoolean(10));
    }
}

/// <summary>Keeps rm_clinics and rm_clinic_attendance in step with clinic events.</summary>
public sealed class ClinicsProjection : IReadModelProjection
{
    public void Project(IReadOnlyList<LoggedEvent> events, SqlBatch batch)
    {
        foreach (var e in events)
        {
            switch (e.Data)
            {
                case ClinicScheduled s:
                    batch.Add(
                        "INSERT INTO rm_clinics (tenant_id, clinic_id, kind, title, discipline, practitioner_id, clinic_date, hours, places, locality, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                        e.TenantId, s.ClinicId, s.Kind.ToString(), s.Title, s.Discipline.ToString(), s.PractitionerId, s.Date, s.Hours, s.Places, s.Locality, e.Version);
                    break;
                case PlaceBooked b:
                    batch.Add("UPDATE rm_clinics SET booked = array_append(booked, $3), version = $4 WHERE tenant_id = $1 AND clinic_id = $2", e.TenantId, b.ClinicId, b.SettingUrn, e.Version);
                    break;
                case BookingCancelled c:
                    batch.Add("UPDATE rm_clinics SET booked = array_remove(booked, $3), version = $4 WHERE tenant_id = $1 AND clinic_id = $2", e.TenantId, c.ClinicId, c.SettingUrn, e.Version);
                    break;
                case AttendanceRecorded a:
                    batch.Add("UPDATE rm_clinics SET attendance_taken = true, version = $3 WHERE tenant_id = $1 AND clinic_id = $2", e.TenantId, a.ClinicId, e.Version);
                    if (a.Attended.Count > 0)
                    {
                        batch.Add(
                            "INSERT INTO rm_clinic_attendance SELECT $1, $2, urn, c.clinic_date, round(c.hours / $4, 2) FROM unnest($3::text[]) AS urn, rm_clinics c WHERE c.tenant_id = $1 AND c.clinic_id = $2",
                            e.TenantId, a.ClinicId, a.Attended.ToArray(), a.Attended.Count);
                    }

                    break;
            }
        }
    }
}
