namespace ExpertsAtHand.Service.Features.Reports;

/// <summary>One setting's share; <c>Allocations</c> is where the period's allocations to it are explained.</summary>
public sealed record SettingShare(string Urn, string Name, string Locality, string Phase, decimal NeedIndex, decimal HoursDelivered, decimal ProRataEntitlementHours, double? HoursShareOfEntitlement, string Allocations);

public sealed record EquityReport(
    DateOnly From,
    DateOnly To,
    DateOnly? AsOf,
    ReportFilters Filters,
    long LastEventPosition,
    double? Top10PercentShareOfHours,
    double? TopNeedQuartileCoverage,
    double? BottomNeedQuartileCoverage,
    IReadOnlyList<SettingShare> UnderServedHighNeed,
    IReadOnlyList<SettingShare> Settings);

/// <summary>
/// GET /api/reports/equity: per setting, hours delivered ÷ pro-rata entitlement; the share of hours
/// taken by the 10% most-served settings; coverage of the top need quartile against the bottom; and
/// top-quartile settings below a share of their entitlement (the under-served high-need list).
/// </summary>
public static class EquityEndpoints
{
    public static IEndpointRouteBuilder MapEquity(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/reports/equity", ReportAsync).WithTags("Reports").RequireAuthorization("member").ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithName("EquityReport")
            .WithSummary("Who gets the offer's time: per-setting hours ÷ entitlement, the top 10% share, coverage by need quartile, and under-served high-need settings (below underServedBelow of their share, default 0.5); filter by locality, phase, discipline; asOf answers from the log as it stood at the end of that day.")
            .Produces<EquityReport>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        return endpoints;
    }

    private static async Task<IResult> ReportAsync(HttpContext http, ReportSource source, DateOnly? from, DateOnly? to, DateOnly? asOf, string? locality, string? phase, string? discipline, double? underServedBelow, CancellationToken cancellationToken)
    {
        var (query, errors, forbidden) = await ReportRequest.ParseAsync(http, from, to, asOf, locality, phase, discipline);
        if (underServedBelow is < 0 or > 2)
        {
            errors["underServedBelow"] = ["A share of entitlement from 0 to 2."];
        }

        return query is null || errors.Count > 0
            ? forbidden ?? TypedResults.ValidationProblem(errors)
            : await source.AnswerAsync(query, CoverageProjection.ProjectionName, view => QueryAsync(view, query, underServedBelow ?? 0.5, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    public static async Task<EquityReport> QueryAsync(ReportView view, ReportQuery query, double underServedBelow, CancellationToken cancellationToken)
    {
        await using var command = view.Command(
            "SELECT s.urn, s.name, s.locality, s.phase, s.need_index, coalesce(d.hours, 0), s.annual_hours "
            + "FROM rpt_coverage_settings s LEFT JOIN (SELECT setting_urn, sum(hours) AS hours FROM rpt_deliveries WHERE tenant_id = $1 AND delivered_on BETWEEN $2 AND $3 "
            + "AND ($6::text IS NULL OR discipline = $6) GROUP BY setting_urn) d "
            + "ON d.setting_urn = s.urn WHERE s.tenant_id = $1 AND s.in_scope AND ($4::text IS NULL OR s.locality = $4) AND ($5::text IS NULL OR s.phase = $5) ORDER BY s.urn",
            query.Tenant, query.From, query.To, query.Locality, query.PhaseName, query.DisciplineName);
        var settings = new List<SettingShare>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var hours = reader.GetDecimal(5);
                var entitlement = Math.Round(reader.GetDecimal(6) * query.YearShare, 1);
                settings.Add(new SettingShare(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), Math.Round(reader.GetDecimal(4), 3), hours, entitlement,
                    entitlement <= 0 ? null : Math.Round((double)(hours / entitlement), 3),
                    Allocations.AllocationEndpoints.ListPath(reader.GetString(0), query.From, query.To)));
            }
        }

        var total = settings.Sum(s => s.HoursDelivered);
        var top10 = settings.OrderByDescending(s => s.HoursDelivered).Take(Math.Max(1, settings.Count / 10)).Sum(s => s.HoursDelivered);
        var byNeed = settings.OrderByDescending(s => s.NeedIndex).ThenBy(s => s.Urn, StringComparer.Ordinal).ToList();
        var quartile = Math.Max(1, settings.Count / 4);
        var topNeed = byNeed.Take(quartile).ToList();
        var bottomNeed = byNeed.Skip(Math.Max(0, byNeed.Count - quartile)).ToList();
        double? Coverage(List<SettingShare> group) => group.Count == 0 ? null : Math.Round(group.Count(s => s.HoursDelivered > 0) / (double)group.Count, 3);
        return new EquityReport(
            query.From,
            query.To,
            view.AsOf,
            ReportFilters.Of(query),
            view.LastEventPosition,
            total == 0 ? null : Math.Round((double)(top10 / total), 3),
            Coverage(topNeed),
            Coverage(bottomNeed),
            [.. topNeed.Where(s => (s.HoursShareOfEntitlement ?? 0) < underServedBelow).OrderBy(s => s.HoursShareOfEntitlement ?? 0).ThenByDescending(s => s.NeedIndex)],
            settings);
    }
}
