using ExpertsAtHand.Service.Hosting;
using Npgsql;

namespace ExpertsAtHand.Service.Features.Reports;

public sealed record CoverageRow(string Locality, string Phase, long SettingsInScope, long SettingsSupported, double? Coverage, decimal HoursDelivered, decimal ProRataEntitlementHours, double? HoursShareOfEntitlement);

public sealed record CoverageReport(DateOnly From, DateOnly To, long LastEventPosition, IReadOnlyList<CoverageRow> Rows, CoverageRow Total);

/// <summary>
/// GET /api/reports/coverage: by locality × phase, settings with at least one delivered contact or
/// clinic attendance in the period ÷ settings in scope, and hours delivered ÷ pro-rata entitlement.
/// </summary>
public static class CoverageEndpoints
{
    public static IEndpointRouteBuilder MapCoverage(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/reports/coverage", ReportAsync).WithTags("Reports").RequireAuthorization("member")
            .WithName("CoverageReport")
            .WithSummary("Coverage by locality and phase: settings supported ÷ settings in scope, and hours delivered ÷ pro-rata entitlement.")
            .Produces<CoverageReport>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        return endpoints;
    }

    private static async Task<IResult> ReportAsync(HttpContext http, NpgsqlDataSource dataSource, DateOnly? from, DateOnly? to, CancellationToken cancellationToken)
    {
        var (caller, start, end, problem) = ReportRequest.Check(http, from, to);
        return problem ?? TypedResults.Ok(await QueryAsync(dataSource, caller!.Tenant, start, end, cancellationToken).ConfigureAwait(false));
    }

    public static async Task<CoverageReport> QueryAsync(NpgsqlDataSource dataSource, string tenant, DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        var position = await Checkpoints.PositionAsync(dataSource, CoverageProjection.ProjectionName, cancellationToken).ConfigureAwait(false);
        var share = (to.DayNumber - from.DayNumber + 1) / 365m;
        await using var command = dataSource.CreateCommand(
            "SELECT s.locality, s.phase, count(*), count(*) FILTER (WHERE d.hours > 0), coalesce(sum(d.hours), 0), coalesce(sum(s.annual_hours), 0) "
            + "FROM rpt_coverage_settings s LEFT JOIN (SELECT setting_urn, sum(hours) AS hours FROM rpt_deliveries WHERE tenant_id = $1 AND delivered_on BETWEEN $2 AND $3 GROUP BY setting_urn) d "
            + "ON d.setting_urn = s.urn WHERE s.tenant_id = $1 AND s.in_scope GROUP BY s.locality, s.phase ORDER BY s.locality, s.phase");
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = from });
        command.Parameters.Add(new NpgsqlParameter { Value = to });
        var rows = new List<CoverageRow>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(Row(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetDecimal(4), reader.GetDecimal(5) * share));
            }
        }

        var total = Row("All", "All", rows.Sum(r => r.SettingsInScope), rows.Sum(r => r.SettingsSupported), rows.Sum(r => r.HoursDelivered), rows.Sum(r => r.ProRataEntitlementHours));
        return new CoverageReport(from, to, position, rows, total);
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
