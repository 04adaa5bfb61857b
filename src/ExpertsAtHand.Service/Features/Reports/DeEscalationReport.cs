using ExpertsAtHand.Service.Hosting;
using Npgsql;

namespace ExpertsAtHand.Service.Features.Reports;

/// <summary>The definitions in DOMAIN.md: rates over closed requests except withdrawn; repeats within six months.</summary>
public sealed record DeEscalationReport(
    DateOnly From,
    DateOnly To,
    long LastEventPosition,
    long Closed,
    long ClosedExceptWithdrawn,
    double? DeEscalationRate,
    double? EscalationRate,
    long IndividualRaised,
    double? RepeatRate,
    long ChildrenSupportedWithoutPlan);

public static class DeEscalationEndpoints
{
    public static IEndpointRouteBuilder MapDeEscalation(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/reports/de-escalation", ReportAsync).WithTags("Reports").RequireAuthorization("member")
            .WithName("DeEscalationReport")
            .WithSummary("De-escalation and escalation rates over requests closed in the period (withdrawn excluded), the repeat rate, and children supported without an EHC plan.")
            .Produces<DeEscalationReport>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        return endpoints;
    }

    private static async Task<IResult> ReportAsync(HttpContext http, NpgsqlDataSource dataSource, DateOnly? from, DateOnly? to, CancellationToken cancellationToken)
    {
        var (caller, start, end, problem) = ReportRequest.Check(http, from, to);
        return problem ?? TypedResults.Ok(await QueryAsync(dataSource, caller!.Tenant, start, end, cancellationToken).ConfigureAwait(false));
    }

    public static async Task<DeEscalationReport> QueryAsync(NpgsqlDataSource dataSource, string tenant, DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        var position = await Checkpoints.PositionAsync(dataSource, OutcomesProjection.ProjectionName, cancellationToken).ConfigureAwait(false);
        await using var command = dataSource.CreateCommand(
            "SELECT "
            + "count(*) FILTER (WHERE closed_on BETWEEN $2 AND $3), "
            + "count(*) FILTER (WHERE closed_on BETWEEN $2 AND $3 AND outcome <> 'Withdrawn'), "
            + "count(*) FILTER (WHERE closed_on BETWEEN $2 AND $3 AND outcome IN ('NeedsMetInSetting', 'ContinuingWithUniversalSupport')), "
            + "count(*) FILTER (WHERE closed_on BETWEEN $2 AND $3 AND outcome IN ('EhcNeedsAssessmentRequested', 'SpecialistPlacementSought')), "
            + "count(*) FILTER (WHERE level = 'Individual' AND raised_on BETWEEN $2 AND $3), "
            + "count(*) FILTER (WHERE level = 'Individual' AND raised_on BETWEEN $2 AND $3 AND EXISTS (SELECT 1 FROM rpt_episodes p WHERE p.tenant_id = e.tenant_id AND p.child_key = e.child_key "
            + "AND NOT (p.request_id = e.request_id AND p.episode = e.episode) AND p.closed_on BETWEEN e.raised_on - interval '6 months' AND e.raised_on)), "
            + "count(DISTINCT child_key) FILTER (WHERE level = 'Individual' AND first_delivered_on BETWEEN $2 AND $3 AND sen_status <> 'EhcPlan') "
            + "FROM rpt_episodes e WHERE tenant_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = from });
        command.Parameters.Add(new NpgsqlParameter { Value = to });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var closedExceptWithdrawn = reader.GetInt64(1);
        var individual = reader.GetInt64(4);
        double? Rate(long count, long of) => of == 0 ? null : Math.Round((double)count / of, 3);
        return new DeEscalationReport(
            from,
            to,
            position,
            reader.GetInt64(0),
            closedExceptWithdrawn,
            Rate(reader.GetInt64(2), closedExceptWithdrawn),
            Rate(reader.GetInt64(3), closedExceptWithdrawn),
            individual,
            Rate(reader.GetInt64(5), individual),
            reader.GetInt64(6));
    }
}
