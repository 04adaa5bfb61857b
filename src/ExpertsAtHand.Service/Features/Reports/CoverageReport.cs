namespace ExpertsAtHand.Service.Features.Reports;

/// <summary>Counts are null where a commissioner's answer suppresses them (1 to 4), and so is a rate built on them.</summary>
public sealed record CoverageRow(string Locality, string Phase, long? SettingsInScope, long? SettingsSupported, double? Coverage, decimal HoursDelivered, decimal ProRataEntitlementHours, double? HoursShareOfEntitlement);

public sealed record CoverageReport(DateOnly From, DateOnly To, DateOnly? AsOf, ReportFilters Filters, long LastEventPosition, IReadOnlyList<CoverageRow> Rows, CoverageRow Total, string? Suppression = null);

/// <summary>
/// GET /api/reports/coverage: by locality × phase, settings with at least one delivered contact or
/// clinic attendance in the period ÷ settings in scope, and hours delivered ÷ pro-rata entitlement.
/// With a discipline, only that discipline's contacts and clinics count (against the whole offer's entitlement).
/// </summary>
public static class CoverageEndpoints
{
    public static IEndpointRouteBuilder MapCoverage(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/reports/coverage", ReportAsync).WithTags("Reports").RequireAuthorization("member").ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithName("CoverageReport")
            .WithSummary("Coverage by locality and phase: settings supported ÷ settings in scope, and hours delivered ÷ pro-rata entitlement; filter by locality, phase, discipline; asOf answers from the log as it stood at the end of that day.")
            .Produces<CoverageReport>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        return endpoints;
    }

    private static async Task<IResult> ReportAsync(HttpContext http, ReportSource source, DateOnly? from, DateOnly? to, DateOnly? asOf, string? locality, string? phase, string? discipline, CancellationToken cancellationToken)
    {
        var (query, errors, forbidden) = await ReportRequest.ParseAsync(http, from, to, asOf, locality, phase, discipline);
        return query is null
            ? forbidden ?? TypedResults.ValidationProblem(errors)
            : await source.AnswerAsync(query, CoverageProjection.ProjectionName, async view => ReportSuppression.Apply(await QueryAsync(view, query, cancellationToken).ConfigureAwait(false), ReportSuppression.For(http)), cancellationToken).ConfigureAwait(false);
    }

    public static async Task<CoverageReport> QueryAsync(ReportView view, ReportQuery query, CancellationToken cancellationToken)
    {
        await using var command = view.Command(
            "SELECT s.locality, s.phase, count(*), count(*) FILTER (WHERE d.hours > 0), coalesce(sum(d.hours), 0), coalesce(sum(s.annual_hours), 0) "
            + "FROM rpt_coverage_settings s LEFT JOIN (SELECT setting_urn, sum(hours) AS hours FROM rpt_deliveries WHERE tenant_id = $1 AND delivered_on BETWEEN $2 AND $3 "
            + "AND ($6::text IS NULL OR discipline = $6) GROUP BY setting_urn) d "
            + "ON d.setting_urn = s.urn WHERE s.tenant_id = $1 AND s.in_scope AND ($4::text IS NULL OR s.locality = $4) AND ($5::text IS NULL OR s.phase = $5) "
            + "GROUP BY s.locality, s.phase ORDER BY s.locality, s.phase",
            query.Tenant, query.From, query.To, query.Locality, query.PhaseName, query.DisciplineName);
        var rows = new List<CoverageRow>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(Row(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetDecimal(4), reader.GetDecimal(5) * query.YearShare));
            }
        }

        var total = Row("All", "All", rows.Sum(r => r.SettingsInScope ?? 0), rows.Sum(r => r.SettingsSupported ?? 0), rows.Sum(r => r.HoursDelivered), rows.Sum(r => r.ProRataEntitlementHours));
        return new CoverageReport(query.From, query.To, view.AsOf, ReportFilters.Of(query), view.LastEventPosition, rows, total);
    }

    private static CoverageRow Row(string locality, string phase, long inScope, long supported, decimal hours, decimal entitlement) => new(
        locality,
        phase,
        inScope,
        supported,
        inScope == 0 ? null : Math.Round((double)supported / inScope, 3),
        Math.Round(hours, 2),
        Math.Round(entitlement, 1),
        entitlement <= 0 ? null : Math.Round((double)(hours / entitlement), 3));
}
