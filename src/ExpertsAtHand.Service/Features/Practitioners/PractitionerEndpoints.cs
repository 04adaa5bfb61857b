using ExpertsAtHand.Domain.Practitioners;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.EventLog;
using ExpertsAtHand.Service.Hosting;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using ExpertsAtHand.Service.Features.Settings;
using static ExpertsAtHand.Service.Hosting.HttpConventions;

namespace ExpertsAtHand.Service.Features.Practitioners;

public sealed record PractitionerBody(string? Name, Discipline? Discipline, ProviderOrganisation? Provider, IReadOnlyList<string>? Localities, decimal? WeeklyCapacityHours, bool? Active);

public sealed record AbsenceBody(DateOnly? From, DateOnly? To, string? Reason);

public sealed record PractitionerView(string Id, long Version, string Name, Discipline Discipline, ProviderOrganisation Provider, IReadOnlyList<string> Localities, decimal WeeklyCapacityHours, bool Active);

internal sealed class PractitionerValidator : AbstractValidator<PractitionerBody>
{
    public PractitionerValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop; // a later rule must never see a value an earlier one rejected
        RuleFor(x => x.Name).NotEmpty().MaximumLength(200);
        RuleFor(x => x.Discipline).NotNull();
        RuleFor(x => x.Provider).NotNull();
        RuleFor(x => x.Localities).NotEmpty();
        RuleForEach(x => x.Localities).NotEmpty().MaximumLength(100);
        RuleFor(x => x.WeeklyCapacityHours).NotNull().InclusiveBetween(0, 60);
        RuleFor(x => x.Active).NotNull();
    }
}

internal sealed class AbsenceValidator : AbstractValidator<AbsenceBody>
{
    public AbsenceValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop;
        RuleFor(x => x.From).NotNull().InclusiveBetween(QueryValues.Earliest, QueryValues.Latest);
        RuleFor(x => x.To).NotNull().InclusiveBetween(QueryValues.Earliest, QueryValues.Latest).GreaterThanOrEqualTo(x => x.From).WithMessage("An absence ends on or after the day it starts.");
        RuleFor(x => x.To).Must((body, to) => to!.Value.DayNumber - body.From!.Value.DayNumber <= 366).When(x => x.From is not null).WithMessage("An absence is at most a year; record longer ones by changing the practitioner's details.");
        RuleFor(x => x.Reason).NotEmpty().MaximumLength(200);
    }
}

/// <summary>A practitioner's recorded absence.</summary>
public sealed record AbsenceView(Guid AbsenceId, DateOnly From, DateOnly To);

/// <summary>Practitioners: an event stream each, listed from rm_practitioners.</summary>
public static class PractitionerEndpoints
{
    public static IEndpointRouteBuilder MapPractitioners(this IEndpointRouteBuilder endpoints)
    {
        var practitioners = endpoints.MapGroup("/api/practitioners").WithTags("Practitioners").RequireAuthorization("member").ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        practitioners.MapGet("/", ListAsync).WithName("ListPractitioners").WithSummary("Practitioners in the local area, by discipline and locality.").Produces<IReadOnlyList<PractitionerView>>();
        practitioners.MapGet("/{id}", GetAsync).WithName("GetPractitioner").WithSummary("One practitioner, with their ETag.").Produces<PractitionerView>().ProducesProblem(StatusCodes.Status404NotFound);
        practitioners.MapPost("/import", ImportAsync).WithName("ImportPractitioners")
            .WithSummary("A coordinator or administrator imports practitioners from CSV (text/csv). Any bad row: 400 listing every bad row by line, nothing imported. Re-importing is idempotent.")
            .Accepts<string>("text/csv").Produces<ImportReport>().ProducesValidationProblem();
        practitioners.MapPost("/{id}/absences", AbsentAsync).WithName("RecordAbsence")
            .WithSummary("A coordinator or administrator records days a practitioner is away; allocation suggestions leave those days out of their capacity.")
            .Produces<AbsenceView>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).AcceptingIdempotencyKey();
        practitioners.MapPut("/{id}", PutAsync).WithName("PutPractitioner").WithSummary("A coordinator or administrator registers a practitioner or changes their details (weekly hours, localities, active).")
            .Produces<PractitionerView>().Produces<PractitionerView>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status412PreconditionFailed);
        return endpoints;
    }

    public static Task<IReadOnlyList<object>> RegisterAsync(Marten.IDocumentStore store, string tenant, string actor, string id, PractitionerDetails details, DateTimeOffset at, long? expected, CancellationToken cancellationToken) =>
        ReferenceData.RegisterAsync(store, tenant, actor, PractitionerDecider.StreamType, id, PractitionerState.Initial, PractitionerDecider.Evolve, state => PractitionerDecider.Decide(new RegisterPractitioner(id, details, actor, at), state), expected, cancellationToken);

    private static async Task<IResult> AbsentAsync(string id, [FromBody] AbsenceBody? body, HttpContext http, IValidator<AbsenceBody> validator, PractitionerDirectory directory, TimeProvider clock, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Coordinator, Roles.Administrator))
        {
            return Problems.Forbidden("Absences are recorded by coordinators and administrators.");
        }

        if (await ValidateAsync(validator, body, cancellationToken).ConfigureAwait(false) is { } invalid)
        {
            return invalid;
        }

        if (await directory.ReadAsync(caller.Tenant, id, cancellationToken).ConfigureAwait(false) is null)
        {
            return Problems.NotFound("practitioner");
        }

        var recorded = await directory.RecordAbsenceAsync(caller, id, IdempotentCreates.IdFor(http, "absence") ?? Guid.CreateVersion7(), body!, clock.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return TypedResults.Created($"/api/practitioners/{id}", recorded);
    }

    /// <summary>Coordinators manage their team's capacity day to day (hours, localities, who is active), as administrators do.</summary>
    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? NotAMaintainer(Caller caller) => caller.Is(Roles.Coordinator, Roles.Administrator)
        ? null
        : Problems.Forbidden("Practitioners are maintained by coordinators and administrators.");

    private static async Task<IResult> ImportAsync(HttpContext http, Marten.IDocumentStore store, TimeProvider clock, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (NotAMaintainer(caller) is { } forbidden)
        {
            return forbidden;
        }

        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, cancellationToken).ConfigureAwait(false);
        body.Position = 0;
        var (parsed, errors) = PractitionersImport.Parse(body);
        if (errors.Count > 0)
        {
            return ImportRowError.ProblemFor(errors);
        }

        return TypedResults.Ok(await PractitionersImport.ImportAsync(store, caller.Tenant, caller.Actor, parsed, clock.GetUtcNow(), cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> PutAsync(string id, [FromBody] PractitionerBody? body, HttpContext http, IValidator<PractitionerBody> validator, Marten.IDocumentStore store, PractitionerDirectory directory, TimeProvider clock, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (NotAMaintainer(caller) is { } forbidden)
        {
            return forbidden;
        }

        if (!System.Text.RegularExpressions.Regex.IsMatch(id, "^[A-Za-z0-9-]{1,64}$"))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["id"] = ["A practitioner id is 1 to 64 letters, digits or hyphens."] });
        }

        if (await ValidateAsync(validator, body, cancellationToken).ConfigureAwait(false) is { } invalid)
        {
            return invalid;
        }

        var (expected, precondition) = OptionalExpectedVersion(http.Request); // PUT also creates
        if (precondition is not null)
        {
            return precondition;
        }

        var details = new PractitionerDetails(body!.Name!, body.Discipline!.Value, body.Provider!.Value, [.. body.Localities!.Distinct()], body.WeeklyCapacityHours!.Value, body.Active!.Value);
        try
        {
            var events = await RegisterAsync(store, caller.Tenant, caller.Actor, id, details, clock.GetUtcNow(), expected, cancellationToken).ConfigureAwait(false);
            var view = (await directory.ReadAsync(caller.Tenant, id, cancellationToken).ConfigureAwait(false))!;
            SetVersion(http.Response, view.Version);
            return events.OfType<PractitionerRegistered>().Any() ? TypedResults.Created($"/api/practitioners/{id}", view) : TypedResults.Ok(view);
        }
        catch (StaleStreamException)
        {
            var current = await directory.ReadAsync(caller.Tenant, id, cancellationToken).ConfigureAwait(false);
            return PreconditionFailed(http.Response, "The practitioner has changed since you read them", current?.Version ?? 0);
        }
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, PractitionerDirectory directory, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Coordinator, Roles.Administrator) && !(caller.Is(Roles.Practitioner) && caller.PractitionerId == id))
        {
            return Problems.NotFound("practitioner");
        }

        var view = await directory.ReadAsync(caller.Tenant, id, cancellationToken).ConfigureAwait(false);
        if (view is null)
        {
            return Problems.NotFound("practitioner");
        }

        SetVersion(http.Response, view.Version);
        return TypedResults.Ok(view);
    }

    private static async Task<IResult> ListAsync(HttpContext http, PractitionerDirectory directory, string? discipline, string? locality, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Coordinator, Roles.Administrator))
        {
            return Problems.Forbidden("The practitioner list is for coordinators and administrators.");
        }

        var errors = new Dictionary<string, string[]>();
        var parsedDiscipline = QueryValues.Enum<Discipline>(discipline, "discipline", errors);
        locality = await AreaLocalities.CanonicalAsync(http, caller.Tenant, locality, "locality", errors).ConfigureAwait(false);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return TypedResults.Ok(await directory.ListAsync(caller.Tenant, parsedDiscipline, locality, cancellationToken).ConfigureAwait(false));
    }
}

/// <summary>Keeps rm_practitioners in step with practitioner events.</summary>
public sealed class PractitionersProjection : IReadModelProjection
{
    public void Project(IReadOnlyList<LoggedEvent> events, SqlBatch batch)
    {
        foreach (var e in events)
        {
            if (e.Data is PractitionerAbsenceRecorded absence)
            {
                batch.Add("INSERT INTO rm_practitioner_absences VALUES ($1, $2, $3, $4, $5)", e.TenantId, absence.AbsenceId, absence.PractitionerId, absence.From, absence.To);
                continue;
            }

            if (PractitionerDecider.DetailsIn(e.Data) is not var (id, details))
            {
                continue;
            }

            batch.Add(
                "INSERT INTO rm_practitioners VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
                + "ON CONFLICT (tenant_id, practitioner_id) DO UPDATE SET name = $3, discipline = $4, provider = $5, localities = $6, weekly_capacity_hours = $7, active = $8, version = $9",
                e.TenantId, id, details.Name, details.Discipline.ToString(), details.Provider.ToString(), details.Localities.ToArray(), details.WeeklyCapacityHours, details.Active, e.Version);
        }
    }
}
