namespace ExpertsAtHand.Service.Features.Reports;

/// <summary>The definitions in DOMAIN.md: rates over closed requests except withdrawn; repeats within six months.</summary>
/// <summary>Counts are null where a commissioner's answer suppresses them (1 to 4), and so is a rate built on them.</summary>
public sealed record DeEscalationReport(
    DateOnly From,
    DateOnly To,
    DateOnly? AsOf,
    ReportFilters Filters,
    long LastEventPosition,
    long? Closed,
    long? ClosedExceptWithdrawn,
    double? DeEscalationRate,
    double? EscalationRate,
    long? IndividualRaised,
    double? RepeatRate,
    long? ChildrenSupportedWithoutPlan,
    long? DeEscalated,
    long? Escalated,
    long? Repeats,
    string? Suppression = null);

public static class DeEscalationEndpoints
{
    public static IEndpointRouteBuilder MapDeEscalation(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/reports/de-escalation", ReportAsync).WithTags("Reports").RequireAuthorization("member").ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithName("DeEscalationReport")
            .WithSummary("De-escalation and escalation rates over requests closed in the period (withdrawn excluded), the repeat rate, and children supported without an EHC plan; filter by locality, phase, discipline; asOf answers from the log as it stood at the end of that day.")
            .Produces<DeEscalationReport>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        return endpoints;
    }

    private static async Task<IResult> ReportAsync(HttpContext http, ReportSource source, DateOnly? from, DateOnly? to, DateOnly? asOf, string? locality, string? phase, string? discipline, CancellationToken cancellationToken)
    {
        var (query, errors, forbidden) = await ReportRequest.ParseAsync(http, from, to, asOf, locality, phase, discipline);
        return query is null
            ? forbidden ?? TypedResults.ValidationProblem(errors)
            : await source.AnswerAsync(query, OutcomesProjection.ProjectionName, async view => ReportSuppression.Apply(await QueryAsync(view, query, cancellationToken).ConfigureAwait(false), ReportSuppression.For(http)), cancellationToken).ConfigureAwait(false);
    }

    public static async Task<DeEscalationReport> QueryAsync(ReportView view, ReportQuery query, CancellationToken cancellationToken)
    {
        // A request closed in the period counts once, by how it last closed in it (closed, reopened and
        // closed again is one closed request, not two). Whether a request was a repeat was fixed when it
        // was raised (the projection looked at the child's earlier closures then). The filters choose
        // which requests are counted.
        await using var command = view.Command(
            "WITH scoped AS (SELECT e.* FROM rpt_episodes e LEFT JOIN rpt_outcome_settings s ON s.tenant_id = e.tenant_id AND s.urn = e.setting_urn "
            + "WHERE e.tenant_id = $1 AND ($4::text IS NULL OR s.locality = $4) AND ($5::text IS NULL OR s.phase = $5) AND ($6::text IS NULL OR $6 = ANY(e.disciplines))), "
            + "closures AS (SELECT DISTINCT ON (request_id) outcome FROM scoped WHERE closed_on BETWEEN $2 AND $3 ORDER BY request_id, episode DESC) "
            + "SELECT "
            + "(SELECT count(*) FROM closures), "
            + "(SELECT count(*) FROM closures WHERE outcome <> 'Withdrawn'), "
            + "(SELECT count(*) FROM closures WHERE outcome IN ('NeedsMetInSetting', 'ContinuingWithUniversalSupport')), "
            + "(SELECT count(*) FROM closures WHERE outcome IN ('EhcNeedsAssessmentRequested', 'SpecialistPlacementSought')), "
            + "count(*) FILTER (WHERE level = 'Individual' AND episode = 1 AND raised_on BETWEEN $2 AND $3), "
            + "count(*) FILTER (WHERE level = 'Individual' AND episode = 1 AND raised_on BETWEEN $2 AND $3 AND is_repeat), "
            + "count(DISTINCT child_key) FILTER (WHERE level = 'Individual' AND first_delivered_on BETWEEN $2 AND $3 AND sen_status <> 'EhcPlan') "
            + "FROM scoped e",
            query.Tenant, query.From, query.To, query.Locality, query.PhaseName, query.DisciplineName);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var closedExceptWithdrawn = reader.GetInt64(1);
        var individual = reader.GetInt64(4);
        double? Rate(long count, long of) => of == 0 ? null : Math.Round((double)count / of, 3);
        return new DeEscalationReport(
            query.From,
            query.To,
            view.AsOf,
            ReportFilters.Of(query),
            view.LastEventPosition,
            reader.GetInt64(0),
            closedExceptWithdrawn,
            Rate(reader.GetInt64(2), closedExceptWithdrawn),
            Rate(reader.GetInt64(3), closedExceptWithdrawn),
            individual,
            Rate(reader.GetInt64(5), individual),
            reader.GetInt64(6),
            reader.GetInt64(2),
            reader.GetInt64(3),
            reader.GetInt64(5));
    }
}
