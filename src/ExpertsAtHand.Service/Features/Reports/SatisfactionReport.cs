using ExpertsAtHand.Domain.Feedback;

namespace ExpertsAtHand.Service.Features.Reports;

/// <summary>
/// Feedback from one source over the episodes closed in the period (withdrawn excluded). Asked: episodes
/// closed (settings are asked about every one) or episodes whose family was given a code. Satisfied:
/// very satisfied or satisfied. Null where a commissioner's answer suppresses a count, with every rate
/// built on it.
/// </summary>
public sealed record FeedbackFigures(long? Asked, long? Responses, double? ResponseRate, long? Satisfied, double? ShareSatisfied, long? AdviceUsed);

/// <param name="Dimension">all, locality, phase, discipline or provider.</param>
public sealed record SatisfactionRow(string Dimension, string Value, FeedbackFigures Settings, FeedbackFigures Families);

/// <summary>How often coordinators tagged a theme in the period's feedback (the comments themselves never leave the case).</summary>
public sealed record ThemeMentions(FeedbackTheme Theme, long? Mentions);

/// <summary>"You said, we did": a change the service made in answer to a theme.</summary>
public sealed record ServiceChange(FeedbackTheme Theme, string YouSaid, string WeDid, DateOnly RecordedOn);

public sealed record SatisfactionReport(
    DateOnly From,
    DateOnly To,
    DateOnly? AsOf,
    ReportFilters Filters,
    long LastEventPosition,
    SatisfactionRow Total,
    IReadOnlyList<SatisfactionRow> Rows,
    IReadOnlyList<ThemeMentions> Themes,
    IReadOnlyList<ServiceChange> YouSaidWeDid,
    string? Suppression = null);

public static class SatisfactionEndpoints
{
    private static readonly string[] SatisfiedRatings = [nameof(SatisfactionRating.VerySatisfied), nameof(SatisfactionRating.Satisfied)];

    public static IEndpointRouteBuilder MapSatisfaction(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/reports/satisfaction", ReportAsync).WithTags("Reports").RequireAuthorization("member").ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithName("SatisfactionReport")
            .WithSummary("Response rates and the share satisfied or very satisfied, from settings and from families apart, over episodes of support closed in the period, in total and by locality, phase, discipline and provider; the themes coordinators tagged and what the service did about them. Filter by locality, phase, discipline; asOf answers from the log as it stood at the end of that day.")
            .Produces<SatisfactionReport>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        return endpoints;
    }

    private static async Task<IResult> ReportAsync(HttpContext http, ReportSource source, DateOnly? from, DateOnly? to, DateOnly? asOf, string? locality, string? phase, string? discipline, CancellationToken cancellationToken)
    {
        var (query, errors, forbidden) = await ReportRequest.ParseAsync(http, from, to, asOf, locality, phase, discipline);
        return query is null
            ? forbidden ?? TypedResults.ValidationProblem(errors)
            : await source.AnswerAsync(query, SatisfactionProjection.ProjectionName, async view => Suppress(await QueryAsync(view, query, cancellationToken).ConfigureAwait(false), ReportSuppression.For(http)), cancellationToken).ConfigureAwait(false);
    }

    public static async Task<SatisfactionReport> QueryAsync(ReportView view, ReportQuery query, CancellationToken cancellationToken)
    {
        var rows = new List<SatisfactionRow>();
        foreach (var (dimension, keyed) in Dimensions)
        {
            await using var command = view.Command(
                $"WITH {Scoped}, keyed AS ({keyed}) "
                + "SELECT k.key, count(*), count(sf.feedback_id), count(sf.feedback_id) FILTER (WHERE sf.rating = ANY($7)), count(sf.feedback_id) FILTER (WHERE sf.advice_used), "
                + "count(*) FILTER (WHERE EXISTS (SELECT 1 FROM rpt_satisfaction_invitations i WHERE i.tenant_id = $1 AND i.request_id = k.request_id AND i.episode = k.episode)), "
                + "count(ff.feedback_id), count(ff.feedback_id) FILTER (WHERE ff.rating = ANY($7)) "
                + "FROM keyed k "
                + "LEFT JOIN rpt_satisfaction_feedback sf ON sf.tenant_id = $1 AND sf.request_id = k.request_id AND sf.episode = k.episode AND sf.source = 'Setting' "
                + "LEFT JOIN rpt_satisfaction_feedback ff ON ff.tenant_id = $1 AND ff.request_id = k.request_id AND ff.episode = k.episode AND ff.source = 'Family' "
                + "GROUP BY k.key ORDER BY k.key",
                query.Tenant, query.From, query.To, query.Locality, query.PhaseName, query.DisciplineName, SatisfiedRatings);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(new SatisfactionRow(
                    dimension,
                    reader.GetString(0),
                    Figures(reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)),
                    Figures(reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7), null)));
            }
        }

        var themes = new List<ThemeMentions>();
        await using (var command = view.Command(
            $"WITH {Scoped} SELECT t.theme, count(*) FROM rpt_satisfaction_themes t "
            + "JOIN rpt_satisfaction_feedback f ON f.tenant_id = t.tenant_id AND f.feedback_id = t.feedback_id "
            + "JOIN scoped s ON s.request_id = f.request_id AND s.episode = f.episode WHERE t.tenant_id = $1 GROUP BY t.theme ORDER BY t.theme",
            query.Tenant, query.From, query.To, query.Locality, query.PhaseName, query.DisciplineName))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                themes.Add(new ThemeMentions(Enum.Parse<FeedbackTheme>(reader.GetString(0)), reader.GetInt64(1)));
            }
        }

        var changes = new List<ServiceChange>();
        await using (var command = view.Command(
            "SELECT theme, you_said, we_did, recorded_on FROM rpt_service_changes WHERE tenant_id = $1 AND recorded_on BETWEEN $2 AND $3 ORDER BY recorded_on, change_id",
            query.Tenant, query.From, query.To))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                changes.Add(new ServiceChange(Enum.Parse<FeedbackTheme>(reader.GetString(0)), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateOnly>(3)));
            }
        }

        var empty = Figures(0, 0, 0, 0);
        var total = rows.FirstOrDefault(r => r.Dimension == "all") ?? new SatisfactionRow("all", "All", empty, Figures(0, 0, 0, null));
        return new SatisfactionReport(query.From, query.To, view.AsOf, ReportFilters.Of(query), view.LastEventPosition, total, [.. rows.Where(r => r.Dimension != "all")], themes, changes);
    }

    /// <summary>Commissioners' answers hide counts of 1 to 4 and every rate built on one; the service's changes are the service's words, shown whole.</summary>
    public static SatisfactionReport Suppress(SatisfactionReport report, Suppression? rule) => rule is null ? report : report with
    {
        Total = Row(report.Total, rule),
        Rows = [.. report.Rows.Select(r => Row(r, rule))],
        Themes = [.. report.Themes.Select(t => t with { Mentions = rule.Suppresses(t.Mentions) ? null : t.Mentions })],
        Suppression = ReportSuppression.Note,
    };

    private static SatisfactionRow Row(SatisfactionRow row, Suppression rule) => row with { Settings = Hide(row.Settings, rule), Families = Hide(row.Families, rule) };

    private static FeedbackFigures Hide(FeedbackFigures f, Suppression rule) => new(
        rule.Suppresses(f.Asked) ? null : f.Asked,
        rule.Suppresses(f.Responses) ? null : f.Responses,
        rule.SuppressesAny(f.Asked, f.Responses) ? null : f.ResponseRate,
        rule.Suppresses(f.Satisfied) ? null : f.Satisfied,
        rule.SuppressesAny(f.Responses, f.Satisfied) ? null : f.ShareSatisfied,
        rule.Suppresses(f.AdviceUsed) ? null : f.AdviceUsed);

    private static FeedbackFigures Figures(long asked, long responses, long satisfied, long? adviceUsed) => new(
        asked,
        responses,
        asked == 0 ? null : Math.Round((double)responses / asked, 3),
        satisfied,
        responses == 0 ? null : Math.Round((double)satisfied / responses, 3),
        adviceUsed);

    /// <summary>Episodes closed in the period (withdrawn excluded), under the filters, with where they were.</summary>
    private const string Scoped =
        "scoped AS (SELECT e.request_id, e.episode, coalesce(s.locality, 'Unknown') AS locality, coalesce(s.phase, 'Unknown') AS phase, e.disciplines, e.providers "
        + "FROM rpt_satisfaction_episodes e LEFT JOIN rpt_satisfaction_settings s ON s.tenant_id = e.tenant_id AND s.urn = e.setting_urn "
        + "WHERE e.tenant_id = $1 AND e.closed_on BETWEEN $2 AND $3 AND e.outcome <> 'Withdrawn' "
        + "AND ($4::text IS NULL OR s.locality = $4) AND ($5::text IS NULL OR s.phase = $5) AND ($6::text IS NULL OR $6 = ANY(e.disciplines)))";

    /// <summary>Each dimension's key per episode: an episode with two disciplines (or providers) counts under each.</summary>
    private static readonly (string Dimension, string Keyed)[] Dimensions =
    [
        ("all", "SELECT 'All' AS key, request_id, episode FROM scoped"),
        ("locality", "SELECT locality AS key, request_id, episode FROM scoped"),
        ("phase", "SELECT phase AS key, request_id, episode FROM scoped"),
        ("discipline", "SELECT d AS key, request_id, episode FROM scoped, unnest(disciplines) AS d"),
        ("provider", "SELECT p AS key, request_id, episode FROM scoped, unnest(CASE WHEN cardinality(providers) = 0 THEN ARRAY['None'] ELSE providers END) AS p"),
    ];
}
