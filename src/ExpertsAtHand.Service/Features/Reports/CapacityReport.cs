using ExpertsAtHand.Domain.Calendar;
using ExpertsAtHand.Service.Features.Requests;
using Npgsql;

namespace ExpertsAtHand.Service.Features.Reports;

/// <summary>
/// One discipline in one week (Monday to Sunday), as it stood at the week's end: requests received,
/// requests waiting for triage or for a first contact, the oldest wait, and the practitioner hours
/// available that week (weekly hours × working days not absent ÷ 5) against hours delivered.
/// </summary>
public sealed record CapacityWeek(
    DateOnly WeekStarting,
    string Discipline,
    long? Received,
    long? AwaitingTriage,
    long? AwaitingFirstContact,
    long? Backlog,
    DateOnly? OldestWaitingSince,
    int? OldestWaitWorkingDays,
    int Practitioners,
    decimal CapacityHours,
    decimal HoursDelivered);

public sealed record CapacityReport(DateOnly From, DateOnly To, DateOnly? AsOf, ReportFilters Filters, long LastEventPosition, IReadOnlyList<CapacityWeek> Weeks, string? Suppression = null);

/// <summary>
/// GET /api/reports/capacity: open demand by discipline against practitioner capacity, week by week,
/// with the oldest wait. A locality filter counts requests from that locality's settings and the
/// practitioners who work there (a practitioner covering several localities counts in each); a phase
/// filter narrows demand only.
/// </summary>
public static class CapacityEndpoints
{
    public static IEndpointRouteBuilder MapCapacity(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/reports/capacity", ReportAsync).WithTags("Reports").RequireAuthorization("member").ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithName("CapacityReport")
            .WithSummary("Capacity and backlog by week and discipline: received, awaiting triage, awaiting first contact, the oldest wait, practitioner hours available and delivered; filter by locality, phase, discipline; asOf answers from the log as it stood at the end of that day.")
            .Produces<CapacityReport>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        return endpoints;
    }

    private static async Task<IResult> ReportAsync(HttpContext http, ReportSource source, RequestRulesCatalog rules, DateOnly? from, DateOnly? to, DateOnly? asOf, string? locality, string? phase, string? discipline, CancellationToken cancellationToken)
    {
        var (query, errors, forbidden) = await ReportRequest.ParseAsync(http, from, to, asOf, locality, phase, discipline);
        return query is null
            ? forbidden ?? TypedResults.ValidationProblem(errors)
            : await source.AnswerAsync(query, CapacityProjection.ProjectionName, async view => ReportSuppression.Apply(await QueryAsync(view, query, rules.For(query.Tenant).Calendar, cancellationToken).ConfigureAwait(false), ReportSuppression.For(http)), cancellationToken).ConfigureAwait(false);
    }

    public static DateOnly WeekStarting(DateOnly date) => date.AddDays(-(((int)date.DayOfWeek + 6) % 7));

    public static async Task<CapacityReport> QueryAsync(ReportView view, ReportQuery query, WorkingDayCalendar calendar, CancellationToken cancellationToken)
    {
        var firstWeek = WeekStarting(query.From);
        var lastWeek = WeekStarting(query.To);
        var weeks = new Dictionary<(DateOnly Week, string Discipline), CapacityWeek>();
        CapacityWeek Empty(DateOnly week, string discipline) => new(week, discipline, 0, 0, 0, 0, null, null, 0, 0, 0);

        // Every request episode that could be waiting in some week of the period: one index range
        // (waiting_until on or after the first Monday), folded week by week here.
        var demand = new List<(string Discipline, DateOnly Received, DateOnly? Triaged, DateOnly? FirstContact, DateOnly? Ended)>();
        await using (var rows = view.Command(
            "SELECT discipline, received_on, triaged_on, first_contact_on, ended_on FROM rpt_capacity_demand "
            + "WHERE tenant_id = $1 AND waiting_until >= $2 AND received_on <= $3 "
            + "AND ($4::text IS NULL OR locality = $4) AND ($5::text IS NULL OR phase = $5) AND ($6::text IS NULL OR discipline = $6)",
            query.Tenant, firstWeek, lastWeek.AddDays(6), query.Locality, query.PhaseName, query.DisciplineName))
        {
            await using var reader = await rows.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                DateOnly? Date(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateOnly>(ordinal);
                demand.Add((reader.GetString(0), reader.GetFieldValue<DateOnly>(1), Date(2), Date(3), Date(4)));
            }
        }

        for (var week = firstWeek; week <= lastWeek; week = week.AddDays(7))
        {
            var weekEnd = week.AddDays(6);
            foreach (var byDiscipline in demand.Where(d => d.Received <= weekEnd).GroupBy(d => d.Discipline))
            {
                // A request waits at a week's end when it was received by then and neither ended nor had its first contact by then.
                var waiting = byDiscipline.Where(d => !(d.Ended <= weekEnd) && !(d.FirstContact <= weekEnd)).ToList();
                var received = byDiscipline.Count(d => d.Received >= week);
                if (waiting.Count == 0 && received == 0)
                {
                    continue;
                }

                var awaitingTriage = waiting.Count(d => !(d.Triaged <= weekEnd));
                DateOnly? oldest = waiting.Count == 0 ? null : waiting.Min(d => d.Received);
                weeks[(week, byDiscipline.Key)] = Empty(week, byDiscipline.Key) with
                {
                    Received = received,
                    AwaitingTriage = awaitingTriage,
                    AwaitingFirstContact = waiting.Count - awaitingTriage,
                    Backlog = waiting.Count,
                    OldestWaitingSince = oldest,
                    OldestWaitWorkingDays = oldest is { } since ? calendar.WorkingDaysBetween(since, weekEnd) : null,
                };
            }
        }

        var versions = new List<(string Id, DateOnly EffectiveOn, string Discipline, string[] Localities, decimal WeeklyHours, bool Active)>();
        await using (var practitioners = view.Command(
            "SELECT practitioner_id, effective_on, discipline, localities, weekly_hours, active FROM rpt_capacity_practitioners WHERE tenant_id = $1 AND effective_on <= $2 ORDER BY practitioner_id, effective_on",
            query.Tenant, lastWeek.AddDays(6)))
        {
            await using var reader = await practitioners.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                versions.Add((reader.GetString(0), reader.GetFieldValue<DateOnly>(1), reader.GetString(2), reader.GetFieldValue<string[]>(3), reader.GetDecimal(4), reader.GetBoolean(5)));
            }
        }

        var absences = new List<(string Id, DateOnly First, DateOnly Last)>();
        await using (var away = view.Command(
            "SELECT practitioner_id, first_day, last_day FROM rpt_capacity_absences WHERE tenant_id = $1 AND last_day >= $2 AND first_day <= $3",
            query.Tenant, firstWeek, lastWeek.AddDays(6)))
        {
            await using var reader = await away.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                absences.Add((reader.GetString(0), reader.GetFieldValue<DateOnly>(1), reader.GetFieldValue<DateOnly>(2)));
            }
        }

        var delivered = new Dictionary<(string Id, DateOnly Week), decimal>();
        await using (var contacts = view.Command(
            "SELECT practitioner_id, date_trunc('week', delivered_on)::date, sum(hours) FROM rpt_capacity_contacts WHERE tenant_id = $1 AND delivered_on BETWEEN $2 AND $3 GROUP BY 1, 2",
            query.Tenant, firstWeek, lastWeek.AddDays(6)))
        {
            await using var reader = await contacts.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                delivered[(reader.GetString(0), reader.GetFieldValue<DateOnly>(1))] = reader.GetDecimal(2);
            }
        }

        var byPractitioner = versions.GroupBy(v => v.Id).ToList();
        for (var week = firstWeek; week <= lastWeek; week = week.AddDays(7))
        {
            var weekEnd = week.AddDays(6);
            foreach (var practitioner in byPractitioner)
            {
                var current = practitioner.LastOrDefault(v => v.EffectiveOn <= weekEnd);
                if (current.Id is null || (query.DisciplineName is { } only && current.Discipline != only)
                    || (query.Locality is { } locality && !current.Localities.Contains(locality, StringComparer.Ordinal)))
                {
                    continue;
                }

                var hoursDelivered = delivered.GetValueOrDefault((practitioner.Key, week));
                var available = 0;
                if (current.Active)
                {
                    for (var day = week; day <= weekEnd; day = day.AddDays(1))
                    {
                        if (calendar.IsWorkingDay(day) && !absences.Any(a => a.Id == practitioner.Key && a.First <= day && day <= a.Last))
                        {
                            available++;
                        }
                    }
                }

                if (!current.Active && hoursDelivered == 0)
                {
                    continue;
                }

                var row = weeks.GetValueOrDefault((week, current.Discipline)) ?? Empty(week, current.Discipline);
                weeks[(week, current.Discipline)] = row with
                {
                    Practitioners = row.Practitioners + (current.Active ? 1 : 0),
                    CapacityHours = row.CapacityHours + Math.Round(current.WeeklyHours * available / 5m, 2),
                    HoursDelivered = row.HoursDelivered + hoursDelivered,
                };
            }
        }

        return new CapacityReport(
            query.From,
            query.To,
            view.AsOf,
            ReportFilters.Of(query),
            view.LastEventPosition,
            [.. weeks.Values.OrderBy(w => w.WeekStarting).ThenBy(w => w.Discipline, StringComparer.Ordinal)]);
    }
}
