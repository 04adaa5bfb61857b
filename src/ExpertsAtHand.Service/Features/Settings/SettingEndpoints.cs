using ExpertsAtHand.Domain.Settings;
using ExpertsAtHand.Service.EventLog;
using ExpertsAtHand.Service.Hosting;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using static ExpertsAtHand.Service.Hosting.HttpConventions;

namespace ExpertsAtHand.Service.Features.Settings;

public sealed record SettingBody(
    string? Name,
    Phase? Phase,
    string? Locality,
    bool? InArea,
    int? NumberOnRoll,
    decimal? PercentFsm,
    decimal? PercentSenSupport,
    decimal? PercentEhcp,
    string? Postcode,
    bool? Open);

/// <summary>A setting; <c>SenFiguresEstimated</c> says its SEN percentages were estimated because its import left them blank.</summary>
public sealed record SettingView(string Urn, long Version, string Name, Phase Phase, string Locality, bool InArea, int NumberOnRoll, decimal PercentFsm, decimal PercentSenSupport, decimal PercentEhcp, string? Postcode, bool Open, bool SenFiguresEstimated);

internal sealed class SettingValidator : AbstractValidator<SettingBody>
{
    public SettingValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop; // a later rule must never see a value an earlier one rejected
        RuleFor(x => x.Name).NotEmpty().MaximumLength(200);
        RuleFor(x => x.Phase).NotNull();
        RuleFor(x => x.Locality).NotEmpty().MaximumLength(100);
        RuleFor(x => x.InArea).NotNull();
        RuleFor(x => x.NumberOnRoll).NotNull().InclusiveBetween(0, 20_000);
        RuleFor(x => x.PercentFsm).NotNull().InclusiveBetween(0, 100);
        RuleFor(x => x.PercentSenSupport).NotNull().InclusiveBetween(0, 100);
        RuleFor(x => x.PercentEhcp).NotNull().InclusiveBetween(0, 100);
        RuleFor(x => x.Postcode).MaximumLength(10);
        RuleFor(x => x.Open).NotNull();
    }
}

/// <summary>Settings: an event stream each (keyed by URN), listed from rm_settings.</summary>
public static class SettingEndpoints
{
    public static IEndpointRouteBuilder MapSettings(this IEndpointRouteBuilder endpoints)
    {
        var settings = endpoints.MapGroup("/api/settings").WithTags("Settings").RequireAuthorization("member").ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        settings.MapGet("/", ListAsync).WithName("ListSettings").WithSummary("Settings in the local area, by locality and phase.").Produces<IReadOnlyList<SettingView>>();
        settings.MapGet("/{urn}", GetAsync).WithName("GetSetting").WithSummary("One setting, with its ETag.").Produces<SettingView>().ProducesProblem(StatusCodes.Status404NotFound);
        settings.MapPost("/import", ImportAsync).WithName("ImportSettings")
            .WithSummary("An administrator imports a GIAS extract or the simple settings CSV (text/csv). Any bad row: 400 listing every bad row by line, nothing imported. Re-importing is idempotent.")
            .Accepts<string>("text/csv").Produces<ImportReport>().ProducesValidationProblem();
        settings.MapPut("/{urn}", PutAsync).WithName("PutSetting").WithSummary("An administrator registers a setting or changes its details; unchanged details record nothing.")
            .Produces<SettingView>().Produces<SettingView>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status412PreconditionFailed);
        return endpoints;
    }

    public static Task<IReadOnlyList<object>> RegisterAsync(Marten.IDocumentStore store, string tenant, string actor, string urn, SettingDetails details, DateTimeOffset at, long? expected, CancellationToken cancellationToken) =>
        ReferenceData.RegisterAsync(store, tenant, actor, SettingDecider.StreamType, urn, SettingState.Initial, SettingDecider.Evolve, state => SettingDecider.Decide(new RegisterSetting(urn, details, actor, at), state), expected, cancellationToken);

    private static async Task<IResult> ImportAsync(HttpContext http, Marten.IDocumentStore store, IConfiguration configuration, TimeProvider clock, [FromQuery(Name = "la")] string[]? laCodes, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Administrator))
        {
            return Problems.Forbidden("Settings are maintained by administrators.");
        }

        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, cancellationToken).ConfigureAwait(false);
        body.Position = 0;
        var (parsed, errors) = SettingsImport.Parse(body, SettingsImporter.OptionsFor(configuration, caller.Tenant, laCodes));
        if (errors.Count > 0)
        {
            return ImportRowError.ProblemFor(errors);
        }

        return TypedResults.Ok(await SettingsImporter.ImportAsync(store, caller.Tenant, caller.Actor, parsed, clock.GetUtcNow(), null, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> PutAsync(string urn, [FromBody] SettingBody? body, HttpContext http, IValidator<SettingBody> validator, Marten.IDocumentStore store, NpgsqlDataSource dataSource, TimeProvider clock, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Administrator))
        {
            return Problems.Forbidden("Settings are maintained by administrators.");
        }

        if (!System.Text.RegularExpressions.Regex.IsMatch(urn, "^[0-9]{5,8}$"))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["urn"] = ["A URN is 5 to 8 digits."] });
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

        var details = new SettingDetails(body!.Name!, body.Phase!.Value, body.Locality!, body.InArea!.Value, body.NumberOnRoll!.Value, body.PercentFsm!.Value, body.PercentSenSupport!.Value, body.PercentEhcp!.Value, body.Postcode, body.Open!.Value);
        try
        {
            var events = await RegisterAsync(store, caller.Tenant, caller.Actor, urn, details, clock.GetUtcNow(), expected, cancellationToken).ConfigureAwait(false);
            var view = (await ReadAsync(dataSource, caller.Tenant, urn, cancellationToken).ConfigureAwait(false))!;
            SetVersion(http.Response, view.Version);
            return events.OfType<SettingRegistered>().Any() ? TypedResults.Created($"/api/settings/{urn}", view) : TypedResults.Ok(view);
        }
        catch (StaleStreamException)
        {
            var current = await ReadAsync(dataSource, caller.Tenant, urn, cancellationToken).ConfigureAwait(false);
            return PreconditionFailed(http.Response, "The setting has changed since you read it", current?.Version ?? 0);
        }
    }

    private static async Task<IResult> GetAsync(string urn, HttpContext http, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (caller.Is(Roles.Senco) && !caller.SettingUrns.Contains(urn, StringComparer.Ordinal))
        {
            return Problems.NotFound("setting");
        }

        var view = await ReadAsync(dataSource, caller.Tenant, urn, cancellationToken).ConfigureAwait(false);
        if (view is null)
        {
            return Problems.NotFound("setting");
        }

        SetVersion(http.Response, view.Version);
        return TypedResults.Ok(view);
    }

    private static async Task<Ok<IReadOnlyList<SettingView>>> ListAsync(HttpContext http, NpgsqlDataSource dataSource, string? locality, Phase? phase, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        await using var command = dataSource.CreateCommand(
            $"SELECT {Columns} FROM rm_settings WHERE tenant_id = $1 AND ($2::text IS NULL OR locality = $2) AND ($3::text IS NULL OR phase = $3) "
            + "AND ($4::text[] IS NULL OR urn = ANY($4)) ORDER BY locality, name");
        command.Parameters.Add(new NpgsqlParameter { Value = caller.Tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)locality ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)phase?.ToString() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = caller.Is(Roles.Senco) ? caller.SettingUrns.ToArray() : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        var views = new List<SettingView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            views.Add(Read(reader));
        }

        return TypedResults.Ok<IReadOnlyList<SettingView>>(views);
    }

    private const string Columns = "urn, version, name, phase, locality, in_area, number_on_roll, percent_fsm, percent_sen_support, percent_ehcp, postcode, open, sen_figures_estimated";

    private static async Task<SettingView?> ReadAsync(NpgsqlDataSource dataSource, string tenant, string urn, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM rm_settings WHERE tenant_id = $1 AND urn = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = urn });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    private static SettingView Read(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetInt64(1),
        reader.GetString(2),
        Enum.Parse<Phase>(reader.GetString(3)),
        reader.GetString(4),
        reader.GetBoolean(5),
        reader.GetInt32(6),
        reader.GetDecimal(7),
        reader.GetDecimal(8),
        reader.GetDecimal(9),
        reader.IsDBNull(10) ? null : reader.GetString(10),
        reader.GetBoolean(11),
        reader.GetBoolean(12));
}

/// <summary>Keeps rm_settings, and each setting's entitlement for the academic year of the change, in step with setting events.</summary>
public sealed class SettingsProjection(Allocations.EntitlementCatalog entitlements) : IReadModelProjection
{
    public void Project(IReadOnlyList<LoggedEvent> events, SqlBatch batch)
    {
        foreach (var e in events)
        {
            if (SettingDecider.DetailsIn(e.Data) is not var (urn, details))
            {
                continue;
            }

            batch.Add(
                "INSERT INTO rm_settings (tenant_id, urn, name, phase, locality, in_area, number_on_roll, percent_fsm, percent_sen_support, percent_ehcp, postcode, open, version, sen_figures_estimated) "
                + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
                + "ON CONFLICT (tenant_id, urn) DO UPDATE SET name = $3, phase = $4, locality = $5, in_area = $6, number_on_roll = $7, percent_fsm = $8, "
                + "percent_sen_support = $9, percent_ehcp = $10, postcode = $11, open = $12, version = $13, sen_figures_estimated = $14",
                e.TenantId, urn, details.Name, details.Phase.ToString(), details.Locality, details.InArea, details.NumberOnRoll,
                details.PercentFsm, details.PercentSenSupport, details.PercentEhcp, (object?)details.Postcode, details.Open, e.Version, details.SenFiguresEstimated);

            var formula = entitlements.For(e.TenantId);
            var at = e.Data is SettingRegistered r ? r.At : ((SettingDetailsChanged)e.Data).At;
            batch.Add(
                "INSERT INTO rm_entitlements VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, urn, academic_year) DO UPDATE SET annual_hours = $4, need_index = $5",
                e.TenantId,
                urn,
                Domain.Allocation.EntitlementFormula.AcademicYear(DateOnly.FromDateTime(at.UtcDateTime)),
                details.Open ? formula.AnnualHours(details) : 0m,
                formula.NeedMultiplier(details));
        }
    }
}
