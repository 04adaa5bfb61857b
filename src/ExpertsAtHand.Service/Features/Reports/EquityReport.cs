using ExpertsAtHand.Service.Hosting;
using Npgsql;

namespace ExpertsAtHand.Service.Features.Reports;

public sealed record SettingShare(string Urn, string Name, string Locality, string Phase, decimal NeedIndex, decimal HoursDelivered, decimal ProRataEntitlementHours, double? HoursShareOfEntitlement);

public sealed record EquityReport(
    DateOnly From,
    DateOnly To,
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
        endpoints.MapGet("/api/reports/equity", ReportAsync).WithTags("Reports").RequireAuthorization("member")
            .WithName("EquityReport")
            .WithSummary("Who gets the offer's time: per-setting hours ÷ entitlement, the top 10% share, coverage by need quartile, and under-served high-need settings (below underServedBelow of their share, default 0.5).")
            .Produces<EquityReport>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        return endpoints;
    }

    private static async Task<IResult> ReportAsync(HttpContext http, NpgsqlDataSource dataSource, DateOnly? from, DateOnly? to, double? underServedBelow, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Coordinator, Roles.Commissioner))
        {
            return Problems.Forbidden("Reports are for coordinators and commissioners.");
        }

        if (from is null || to is null || to < from || underServedBelow is < 0 or > 2)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                [underServedBelow is < 0 or > 2 ? "underServedBelow" : from is null ? "from" : "to"] =
                    [underServedBelow is < 0 or > 2 ? "A share of entitlement from 0 to 2." : "Give the period as from and to dates (yyyy-MM-dd), ending on or after it starts."],
            });
        }

        var position = await Checkpoints.PositionAsync(dataSource, CoverageProjection.ProjectionName, cancellationToken).ConfigureAwait(false);
        var share = (to.Value.DayNumber - from.Value.DayNumber + 1) / 365m;
        await using var command = dataSource.CreateCommand(
            "SELECT s.urn, s.name, s.locality, s.phase, s.need_index, coalesce(d.hours, 0), s.annual_hours "
            + "FROM rpt_coverage_settings s LEFT JOIN (SELECT setting_urn, sum(hours) AS hours FROM rpt_deliveries WHERE tenant_id = $1 AND delivered_on BETWEEN $2 AND $3 GROUP BY setting_urn) d "
            + "ON d.setting_urn = s.urn WHERE s.tenant_id = $1 AND s.in_scope ORDER BY s.urn");
        command.Parameters.Add(new NpgsqlParameter { Value = caller.Tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = from.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = to.Value });
        var settings = new List<SettingShare>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var hours = reader.GetDecimal(5);
                var entitlement = Math.Round(reader.GetDecimal(6) * share, 1);
                settings.Add(new SettingShare(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), Math.Round(reader.GetDecimal(4), 3), hours, entitlement,
                    entitlement <= 0 ? null : Math.Round((double)(hours / entitlement), 3)));
            }
        }

        var total = settings.Sum(s => s.HoursDelivered);
        var top10 = settings.OrderByDescending(s => s.HoursDelivered).Take(Math.Max(1, settings.Count / 10)).Sum(s => s.HoursDelivered);
        var byNeed = settings.OrderByDescending(s => s.NeedIndex).ThenBy(s => s.Urn, StringComparer.Ordinal).ToList();
        var quartile = Math.Max(1, settings.Count / 4);
        var topNeed = byNeed.Take(quartile).ToList();
        var bottomNeed = byNeed.Skip(Math.Max(0, byNeed.Count - quartile)).ToList();
        double? Coverage(List<SettingShare> group) => group.Count == 0 ? null : Math.Round(group.Count(s => s.HoursDelivered > 0) / (double)group.Count, 3);
        var threshold = underServedBelow ?? 0.5;
        return TypedResults.Ok(new EquityReport(
            from.Value,
            to.Value,
            position,
            total == 0 ? null : Math.Round((double)(top10 / total), 3),
            Coverage(topNeed),
            Coverage(bottomNeed),
            [.. topNeed.Where(s => (s.HoursShareOfEntitlement ?? 0) < threshold).OrderBy(s => s.HoursShareOfEntitlement ?? 0).ThenByDescending(s => s.NeedIndex)],
            settings));
    }
}
