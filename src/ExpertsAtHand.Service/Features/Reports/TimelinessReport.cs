using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.Hosting;
using ExpertsAtHand.Service.EventLog;

namespace ExpertsAtHand.Service.Features.Reports;

/// <summary>Median, 90th percentile and share within the standard, in working days.</summary>
/// <summary>Null where a commissioner's answer suppresses a count of 1 to 4 and the figures built on it.</summary>
public sealed record ClockFigures(long? Count, double? Median, double? P90, double? ShareWithinStandard)
{
    /// <summary>How many were within the standard: the count a share within standard is built on.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public long WithinStandard => (long)Math.Round((ShareWithinStandard ?? 0) * (Count ?? 0), MidpointRounding.AwayFromZero);
}

public sealed record TimelinessGroup(string Group, ClockFigures TimeToTriage, ClockFigures TimeToFirstContact);

/// <summary>Every answer states the last event position it includes.</summary>
public sealed record TimelinessReport(DateOnly From, DateOnly To, DateOnly? AsOf, ReportFilters Filters, string? Priority, string? GroupBy, long LastEventPosition, IReadOnlyList<TimelinessGroup> Groups, string? Suppression = null);

/// <summary>
/// GET /api/reports/timeliness: time to triage (episodes received in the period) and to first
/// contact (first contacts in the period), overall or by locality, phase, discipline, priority or
/// provider organisation. Aggregates only.
/// </summary>
public static class TimelinessEndpoints
{
    private static readonly Dictionary<string, string> Groupings = new(StringComparer.OrdinalIgnoreCase)
    {
        ["locality"] = "locality",
        ["phase"] = "phase",
        ["discipline"] = "discipline",
        ["priority"] = "coalesce(priority, urgency)",
        ["provider"] = "coalesce(provider, 'Not yet allocated')",
    };

    public static IEndpointRouteBuilder MapReports(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/reports/timeliness", TimelinessAsync).WithTags("Reports").RequireAuthorization("member").ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithName("TimelinessReport")
            .WithSummary("Time to triage and to first contact in working days: median, 90th percentile, share within the standard; groupBy locality, phase, discipline, priority or provider; filter by locality, phase, discipline, priority; asOf answers from the log as it stood at the end of that day.")
            .Produces<TimelinessReport>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        return endpoints;
    }

    private static async Task<IResult> TimelinessAsync(HttpContext http, ReportSource source, DateOnly? from, DateOnly? to, DateOnly? asOf, string? groupBy, string? locality, string? phase, string? discipline, string? priority, CancellationToken cancellationToken)
    {
        var (query, errors, forbidden) = await ReportRequest.ParseAsync(http, from, to, asOf, locality, phase, discipline);
        var parsedPriority = QueryValues.Enum<Priority>(priority, "priority", errors);
        if (groupBy is not null && !Groupings.ContainsKey(groupBy))
        {
            errors["groupBy"] = [$"One of {string.Join(", ", Groupings.Keys)}."];
        }

        return query is null || errors.Count > 0
            ? forbidden ?? TypedResults.ValidationProblem(errors)
            : await source.AnswerAsync(query, TimelinessProjection.ProjectionName, async view => ReportSuppression.Apply(await QueryAsync(view, query, groupBy, parsedPriority, cancellationToken).ConfigureAwait(false), ReportSuppression.For(http)), cancellationToken).ConfigureAwait(false);
    }

    public static async Task<TimelinessReport> QueryAsync(ReportView view, ReportQuery query, string? groupBy, Priority? priority, CancellationToken cancellationToken)
    {
        var group = groupBy is null ? "'All'" : Groupings[groupBy];
        var source =
            "SELECT c.*, d AS discipline FROM rpt_request_clocks c CROSS JOIN LATERAL unnest(CASE WHEN $7::text IS NULL AND $8 = false THEN ARRAY[c.disciplines[1]] ELSE c.disciplines END) AS d "
            + "WHERE c.tenant_id = $1 AND ($4::text IS NULL OR c.locality = $4) AND ($5::text IS NULL OR c.phase = $5) AND ($6::text IS NULL OR coalesce(c.priority, c.urgency) = $6) "
            + "AND ($7::text IS NULL OR d = $7)";
        var sql =
            $"WITH scoped AS ({source}) "
            + $"SELECT g, sum(tc)::bigint, percentile_cont(0.5) WITHIN GROUP (ORDER BY td) FILTER (WHERE tc = 1), percentile_cont(0.9) WITHIN GROUP (ORDER BY td) FILTER (WHERE tc = 1), avg(tm) FILTER (WHERE tc = 1), "
            + "sum(fc)::bigint, percentile_cont(0.5) WITHIN GROUP (ORDER BY fd) FILTER (WHERE fc = 1), percentile_cont(0.9) WITHIN GROUP (ORDER BY fd) FILTER (WHERE fc = 1), avg(fm) FILTER (WHERE fc = 1) "
            + $"FROM (SELECT {group} AS g, "
            + "CASE WHEN triage_days IS NOT NULL AND received_on BETWEEN $2 AND $3 THEN 1 ELSE 0 END AS tc, triage_days AS td, CASE WHEN triage_met THEN 1.0 ELSE 0.0 END AS tm, "
            + "CASE WHEN first_contact_on BETWEEN $2 AND $3 THEN 1 ELSE 0 END AS fc, first_contact_days AS fd, CASE WHEN first_contact_met THEN 1.0 ELSE 0.0 END AS fm FROM scoped) x "
            + "WHERE tc = 1 OR fc = 1 GROUP BY g ORDER BY g";

        // By discipline, a request counts once per discipline; otherwise once.
        await using var command = view.Command(
            sql, query.Tenant, query.From, query.To, query.Locality, query.PhaseName, priority?.ToString(), query.DisciplineName,
            string.Equals(groupBy, "discipline", StringComparison.OrdinalIgnoreCase));
        var groups = new List<TimelinessGroup>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            double? Number(int ordinal) => reader.IsDBNull(ordinal) ? null : Math.Round(Convert.ToDouble(reader.GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture), 3);
            groups.Add(new TimelinessGroup(
                reader.GetString(0),
                new ClockFigures(reader.GetInt64(1), Number(2), Number(3), Number(4)),
                new ClockFigures(reader.GetInt64(5), Number(6), Number(7), Number(8))));
        }

        return new TimelinessReport(query.From, query.To, view.AsOf, ReportFilters.Of(query), priority?.ToString(), groupBy?.ToLowerInvariant(), view.LastEventPosition, groups);
    }
}
