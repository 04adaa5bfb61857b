using System.Text.Json;
using ExpertsAtHand.Domain.Allocation;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.Features.Requests;
using ExpertsAtHand.Service.Hosting;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using static ExpertsAtHand.Service.Hosting.HttpConventions;

namespace ExpertsAtHand.Service.Features.Allocations;

public sealed record Suggestion(Guid RequestId, Discipline Discipline, string SettingUrn, string PractitionerId, decimal Hours, RankingInputs Ranking, string Explanation);

public sealed record Suggestions(IReadOnlyList<Suggestion> Proposed, IReadOnlyList<DemandFor> Waiting);

public sealed record AllocationExplanation(Guid AllocationId, Guid? RequestId, string SettingUrn, string PractitionerId, Discipline Discipline, decimal Hours, DateTimeOffset AllocatedAt, RankingInputs? Ranking, string? OverrideReason, string Explanation);

/// <summary>The coordinator's allocation flow: suggestions from the engine, decisions that record what ranked them, and explanations.</summary>
public static class AllocationEndpoints
{
    public static IEndpointRouteBuilder MapAllocations(this IEndpointRouteBuilder endpoints)
    {
        var allocations = endpoints.MapGroup("/api/allocations").WithTags("Allocations").RequireAuthorization("member").ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        allocations.MapGet("/suggestions", SuggestAsync).WithName("AllocationSuggestions")
            .WithSummary("The engine's proposals for the whole queue (or one request): priority, then SLA slack, then the setting furthest below its fair share.")
            .Produces<Suggestions>();
        allocations.MapGet("/", ListAsync).WithName("ListAllocations")
            .WithSummary("A setting's allocations made in a period, each explained: how a commissioner reads why time went where it did (without request ids).")
            .Produces<IReadOnlyList<AllocationExplanation>>();
        allocations.MapGet("/{id:guid}/explanation", ExplainAsync).WithName("AllocationExplanation")
            .WithSummary("Why an allocation was made, in words, with the inputs that ranked it.")
            .Produces<AllocationExplanation>().ProducesProblem(StatusCodes.Status404NotFound);

        endpoints.MapPost("/api/requests/{id:guid}/allocations", AllocateAsync).WithTags("Requests").RequireAuthorization("member").WithMetadata(new AccessLog.ReadsChildRecords("request")).ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithName("AllocatePractitioner")
            .WithSummary("A coordinator allocates a practitioner of an accepted discipline; choosing other than the engine's suggestion needs an overrideReason.")
            .Produces<RequestView>().ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed).ProducesProblem(StatusCodes.Status428PreconditionRequired);
        return endpoints;
    }

    private static async Task<IResult> SuggestAsync(HttpContext http, AllocationPlanner planner, Guid? requestId, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Coordinator))
        {
            return Problems.Forbidden("Allocation suggestions are for triage coordinators.");
        }

        var plan = await planner.PlanAsync(caller.Tenant, cancellationToken).ConfigureAwait(false);
        var proposed = plan.Result.Proposals
            .Select(p => (Proposal: p, For: plan.DemandIds[p.RequestId]))
            .Where(x => requestId is null || x.For.RequestId == requestId)
            .Select(x => new Suggestion(x.For.RequestId, x.For.Discipline, x.Proposal.SettingUrn, x.Proposal.PractitionerId, x.Proposal.Hours, x.Proposal.Ranking, AllocationEngine.Explain(x.Proposal)))
            .ToList();
        var waiting = plan.Result.Waiting.Select(w => plan.DemandIds[w.RequestId]).Where(w => requestId is null || w.RequestId == requestId).ToList();
        return TypedResults.Ok(new Suggestions(proposed, waiting));
    }

    private static async Task<IResult> AllocateAsync(
        Guid id,
        [FromBody] AllocateBody? body,
        HttpContext http,
        IValidator<AllocateBody> validator,
        RequestCommandHandler handler,
        AllocationChoice choice,
        CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Coordinator))
        {
            return Problems.Forbidden("This is done by a coordinator.");
        }

        var (expected, precondition) = ExpectedVersion(http.Request);
        if (precondition is not null)
        {
            return precondition;
        }

        if (await ValidateAsync(validator, body, cancellationToken).ConfigureAwait(false) is { } invalid)
        {
            return invalid;
        }

        var (command, errors) = await choice.DecideAsync(caller, id, body!, null, cancellationToken).ConfigureAwait(false);
        if (command is null)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var result = await handler.HandleAsync(id, expected, caller, command, cancellationToken).ConfigureAwait(false);
        return RequestEndpoints.ToHttp(result, http);
    }

    /// <summary>Where a setting's allocations for a period are listed; the equity report links each setting here.</summary>
    public static string ListPath(string urn, DateOnly from, DateOnly to) =>
        $"/api/allocations?setting={Uri.EscapeDataString(urn)}&from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}";

    private static async Task<IResult> ListAsync(HttpContext http, NpgsqlDataSource dataSource, RequestRulesCatalog rules, Privacy.DetailKeys keys, string? setting, DateOnly? from, DateOnly? to, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Coordinator, Roles.Commissioner))
        {
            return Problems.Forbidden("Allocation explanations are for coordinators and commissioners.");
        }

        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(setting))
        {
            errors["setting"] = ["The setting's URN (or UKPRN) whose allocations to list."];
        }

        Reports.ReportRequest.CheckPeriod(from, to, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var area = rules.For(caller.Tenant);
        await using var command = dataSource.CreateCommand(
            $"SELECT {ExplanationColumns} FROM rm_allocations WHERE tenant_id = $1 AND setting_urn = $2 AND allocated_at >= $3 AND allocated_at < $4 ORDER BY allocated_at, allocation_id");
        command.Parameters.Add(new NpgsqlParameter { Value = caller.Tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = setting });
        command.Parameters.Add(new NpgsqlParameter { Value = area.StartOf(from!.Value) });
        command.Parameters.Add(new NpgsqlParameter { Value = area.StartOf(to!.Value.AddDays(1)) });
        var explained = new List<AllocationExplanation>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                explained.Add(ReadExplanation(reader));
            }
        }

        return TypedResults.Ok(await ForCallerAsync(explained, caller, keys, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> ExplainAsync(Guid id, HttpContext http, NpgsqlDataSource dataSource, Privacy.DetailKeys keys, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Coordinator, Roles.Commissioner))
        {
            return Problems.Forbidden("Allocation explanations are for coordinators and commissioners.");
        }

        await using var command = dataSource.CreateCommand($"SELECT {ExplanationColumns} FROM rm_allocations WHERE tenant_id = $1 AND allocation_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = caller.Tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        AllocationExplanation? found = null;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                found = ReadExplanation(reader);
            }
        }

        return found is null ? Problems.NotFound("allocation") : TypedResults.Ok((await ForCallerAsync([found], caller, keys, cancellationToken).ConfigureAwait(false))[0]);
    }

    /// <summary>
    /// Coordinators read the override reasons (opened with the child's key); commissioners see that a
    /// reason was recorded, never its words, and no request id: aggregates, not cases.
    /// </summary>
    private static async Task<IReadOnlyList<AllocationExplanation>> ForCallerAsync(IReadOnlyList<AllocationExplanation> explained, Caller caller, Privacy.DetailKeys keys, CancellationToken cancellationToken)
    {
        if (!caller.Is(Roles.Coordinator))
        {
            return [.. explained.Select(e => e with
            {
                RequestId = null,
                OverrideReason = e.OverrideReason is null ? null : CommissionerReason,
                Explanation = Explain(e.Ranking, e.OverrideReason is null ? null : CommissionerReason),
            })];
        }

        var ring = await keys.RingAsync(caller.Tenant, explained.Select(e => Privacy.SealedText.KeyOf(e.OverrideReason)).OfType<Guid>(), cancellationToken).ConfigureAwait(false);
        return [.. explained.Select(e =>
        {
            var reason = e.OverrideReason is null ? null : Privacy.SealedText.Open(e.OverrideReason, ring);
            return e with { OverrideReason = reason, Explanation = Explain(e.Ranking, reason) };
        })];
    }

    private const string CommissionerReason = "The coordinator recorded a reason; it is part of the child's record, for coordinators only.";

    private static string Explain(RankingInputs? ranking, string? overrideReason) => ranking is null
        ? "Allocated directly, before the engine's ranking was recorded for it."
        : AllocationEngine.Explain(ranking, overrideReason);

    private const string ExplanationColumns = "allocation_id, request_id, setting_urn, practitioner_id, discipline, hours, allocated_at, ranking::text, override_reason";

    /// <summary>An allocation as stored: its override reason still sealed, until <see cref="ForCallerAsync"/>.</summary>
    private static AllocationExplanation ReadExplanation(NpgsqlDataReader reader)
    {
        var ranking = reader.IsDBNull(7) ? null : JsonSerializer.Deserialize<RankingInputs>(reader.GetString(7));
        var overrideReason = reader.IsDBNull(8) ? null : reader.GetString(8);
        return new AllocationExplanation(
            reader.GetGuid(0),
            reader.GetGuid(1),
            reader.GetString(2),
            reader.GetString(3),
            Enum.Parse<Discipline>(reader.GetString(4)),
            reader.GetDecimal(5),
            reader.GetFieldValue<DateTimeOffset>(6),
            ranking,
            overrideReason,
            string.Empty);
    }
}
