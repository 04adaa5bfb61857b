using ExpertsAtHand.Domain.Clinics;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.EventLog;
using ExpertsAtHand.Service.Hosting;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;
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

    private static async Task<IResult> ScheduleAsync([FromBody] ScheduleClinicBody? body, HttpContext http, IValidator<ScheduleClinicBody> validator, ClinicBook book, CancellationToken cancellationToken)
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

        var errors = new Dictionary<string, string[]>();
        var locality = await book.CheckScheduleAsync(http, caller, body!, errors).ConfigureAwait(false);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Some of what was sent is not valid");
        }

        var id = IdempotentCreates.IdFor(http, "clinic") ?? Guid.CreateVersion7();
        var outcome = await book.DecideAsync(caller, id, at => new ScheduleClinic(id, body!.Kind!.Value, body.Title!, body.Discipline!.Value, body.PractitionerId!, body.Date!.Value, body.Hours!.Value, body.Places!.Value, locality!, caller.Actor, at), cancellationToken).ConfigureAwait(false);
        return outcome is ClinicOutcome.Done ? TypedResults.Created($"/api/clinics/{id}", await book.ReadAsync(caller, id, cancellationToken).ConfigureAwait(false)) : ToHttp(outcome);
    }

    private static async Task<IResult> BookAsync(Guid id, [FromBody] BookingBody? body, HttpContext http, IValidator<BookingBody> validator, ClinicBook book, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (await ValidateAsync(validator, body, cancellationToken).ConfigureAwait(false) is { } invalid)
        {
            return invalid;
        }

        if (!ClinicBook.MayBookFor(caller, body!.SettingUrn!))
        {
            return Problems.Forbidden("A SENCO books places for their own setting; a coordinator for any.");
        }

        return await AnswerAsync(book, caller, id, await book.DecideAsync(caller, id, at => new BookPlace(body.SettingUrn!, caller.Actor, at), cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IResult> CancelAsync(Guid id, string urn, HttpContext http, ClinicBook book, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!ClinicBook.MayBookFor(caller, urn))
        {
            return Problems.Forbidden("A SENCO gives back their own setting's place; a coordinator any.");
        }

        return await AnswerAsync(book, caller, id, await book.DecideAsync(caller, id, at => new CancelBooking(urn, caller.Actor, at), cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IResult> AttendAsync(Guid id, [FromBody] AttendanceBody? body, HttpContext http, IValidator<AttendanceBody> validator, ClinicBook book, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (await ValidateAsync(validator, body, cancellationToken).ConfigureAwait(false) is { } invalid)
        {
            return invalid;
        }

        var clinic = await book.ReadAsync(caller, id, cancellationToken).ConfigureAwait(false);
        if (clinic is null)
        {
            return Problems.NotFound("clinic");
        }

        if (!ClinicBook.MayTakeAttendance(caller, clinic))
        {
            return Problems.Forbidden("Attendance is recorded by the practitioner who ran the clinic, or a coordinator.");
        }

        return await AnswerAsync(book, caller, id, await book.DecideAsync(caller, id, at => new RecordAttendance(body!.Attended!, caller.Actor, at), cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IResult> AnswerAsync(ClinicBook book, Caller caller, Guid id, ClinicOutcome outcome, CancellationToken cancellationToken) =>
        outcome is ClinicOutcome.Done ? TypedResults.Ok(await book.ReadAsync(caller, id, cancellationToken).ConfigureAwait(false)) : ToHttp(outcome);

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult ToHttp(ClinicOutcome outcome) => outcome switch
    {
        ClinicOutcome.Refused refused => TypedResults.Problem(title: "That cannot be done to this clinic now", detail: refused.Reason, statusCode: StatusCodes.Status409Conflict),
        _ => Problems.NotFound("clinic"),
    };

    private static async Task<IResult> ListAsync(HttpContext http, ClinicBook book, DateOnly? from, CancellationToken cancellationToken)
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

        return TypedResults.Ok(await book.ListAsync(caller, from, cancellationToken).ConfigureAwait(false));
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
