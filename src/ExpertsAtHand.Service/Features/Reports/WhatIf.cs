using ExpertsAtHand.Domain.Allocation;
using ExpertsAtHand.Domain.Clinics;
using ExpertsAtHand.Domain.Practitioners;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.EventLog;
using ExpertsAtHand.Service.Features.Allocations;
using ExpertsAtHand.Service.Features.Requests;
using ExpertsAtHand.Service.Hosting;
using Marten;
using Npgsql;
using NpgsqlTypes;

namespace ExpertsAtHand.Service.Features.Reports;

/// <summary>The what-if's answer: what a policy would have done with the area's recorded demand, beside what happened.</summary>
public sealed record WhatIfReport(
    DateOnly From,
    DateOnly To,
    AllocationPolicy Policy,
    bool Outreach,
    int Weeks,
    WhatIfFigures Actual,
    WhatIfFigures Replayed,
    int OutreachOffers,
    int OutreachRequests,
    IReadOnlyList<string> Assumptions,
    string? Suppression = null);

/// <summary>One way of allocating the recorded demand, measured as DOMAIN.md measures equity and timeliness. Counts of 1–4 are null for commissioners, with what is built on them.</summary>
public sealed record WhatIfFigures(
    int? Demand,
    int? Allocated,
    int? StillWaiting,
    decimal HoursAllocated,
    double? ShareWithinFirstContactStandard,
    double? MedianWorkingDaysToAllocation,
    double? Top10Share,
    double TopNeedQuartileCoverage,
    double MaxOvershare,
    int? SettingsSupported);

/// <summary>
/// GET /api/reports/what-if: the area's recorded demand and capacity replayed week by week through a
/// policy (see <see cref="RecordedReplay"/>), read straight from the event log; aggregates only.
/// </summary>
public static class WhatIfEndpoints
{
    public static readonly IReadOnlyList<string> Assumptions =
    [
        "Demand is each discipline of each request accepted in the period (a reopened request accepted again is new demand), from its acceptance date, with the hours its allocation recorded or, where it was never allocated, the hours its support type is planned for.",
        "Capacity is each practitioner's weekly hours as recorded from the day each change took effect, for the working days they were not absent, less the hours of clinics they ran.",
        "The replay decides every Monday, as the allocation engine would have that day, for the demand accepted by then and still waiting. An allocation holds its hours against its setting's share for the rest of the academic year (the replay cannot know when a request would have closed); time given before the period and clinic attendance count as they were recorded. What actually happened is measured from the recorded allocation dates.",
        "Time to allocation stands in for time to first contact: the replay cannot know when a contact would have happened.",
        "Outreach (when on) offers time each week to top-need-quartile settings that used less than a quarter of their share and asked nothing for twelve weeks; every second offer becomes a routine three-hour request.",
        "Entitlement is each setting's annual hours for the academic year pro rata to the day; equity is measured over settings in scope (open, in the area), and the top need quartile is the quarter of them with the highest need index.",
    ];

    public static IEndpointRouteBuilder MapWhatIf(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/reports/what-if", AnswerAsync).WithTags("Reports").RequireAuthorization("member").ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithName("WhatIfReport")
            .WithSummary("What a policy (fair or fcfs, with or without outreach) would have done with the area's recorded demand and capacity in the period, replayed week by week from the event log, beside what actually happened; the assumptions are stated in the answer.")
            .Produces<WhatIfReport>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        return endpoints;
    }

    private static async Task<IResult> AnswerAsync(HttpContext http, RecordedYearReader reader, RequestRulesCatalog rules, DateOnly? from, DateOnly? to, string? policy, string? outreach, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Coordinator, Roles.Commissioner))
        {
            return Problems.Forbidden("Reports are for coordinators and commissioners.");
        }

        var errors = new Dictionary<string, string[]>();
        ReportRequest.CheckPeriod(from, to, errors);
        var parsedPolicy = QueryValues.Enum<AllocationPolicy>(policy, "policy", errors);
        if (policy is null)
        {
            errors["policy"] = ["fair (the allocation engine) or fcfs (first come, first served)."];
        }

        if (outreach is not (null or "on" or "off"))
        {
            errors["outreach"] = ["on or off (off unless given)."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var report = await RunAsync(reader, rules.For(caller.Tenant), caller.Tenant, from!.Value, to!.Value, parsedPolicy!.Value, outreach == "on", null, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(caller.Is(Roles.Commissioner) ? Suppress(report, Suppression.Default) : report);
    }

    public static async Task<WhatIfReport> RunAsync(RecordedYearReader reader, RequestRules rules, string tenant, DateOnly from, DateOnly to, AllocationPolicy policy, bool outreach, Action<int, int>? progress, CancellationToken cancellationToken)
    {
        var year = await reader.ReadAsync(tenant, from, to, rules, cancellationToken).ConfigureAwait(false);
        var result = RecordedReplay.Run(year, policy, outreach, rules, progress);
        return new WhatIfReport(from, to, policy, outreach, result.Weeks, Figures(result.Actual), Figures(result.Replayed), result.OutreachOffers, result.OutreachRequests, Assumptions);
    }

    private static WhatIfFigures Figures(ReplayFigures f) => new(
        f.Demand, f.Allocated, f.StillWaiting, f.HoursAllocated, f.ShareWithinFirstContactStandard, f.MedianWorkingDaysToAllocation, f.Top10Share, f.TopNeedQuartileCoverage, f.MaxOvershare, f.SettingsSupported);

    public static WhatIfReport Suppress(WhatIfReport report, Suppression rule)
    {
        WhatIfFigures Hide(WhatIfFigures f)
        {
            var allocatedHidden = rule.Suppresses(f.Allocated);
            return f with
            {
                Demand = rule.Suppresses(f.Demand) ? null : f.Demand,
                Allocated = allocatedHidden ? null : f.Allocated,
                StillWaiting = rule.Suppresses(f.StillWaiting) ? null : f.StillWaiting,
                ShareWithinFirstContactStandard = allocatedHidden ? null : f.ShareWithinFirstContactStandard,
                MedianWorkingDaysToAllocation = allocatedHidden ? null : f.MedianWorkingDaysToAllocation,
                SettingsSupported = rule.Suppresses(f.SettingsSupported) ? null : f.SettingsSupported,
            };
        }

        return report with { Actual = Hide(report.Actual), Replayed = Hide(report.Replayed), Suppression = ReportSuppression.Note };
    }
}

/// <summary>
/// Reads what a replay needs from the area's event log (requests, allocations, practitioners' hours
/// and absences, clinics) and the settings' entitlements and need from the coverage report's table.
/// It reads no child detail: none of the fields it takes is sealed.
/// </summary>
public sealed class RecordedYearReader(IDocumentStore store, NpgsqlDataSource dataSource)
{
    private static readonly Type[] Types =
    [
        typeof(RequestRaised), typeof(TriageAccepted), typeof(PractitionerAllocated), typeof(RequestReopened),
        typeof(PractitionerRegistered), typeof(PractitionerDetailsChanged), typeof(PractitionerAbsenceRecorded), typeof(ClinicScheduled),
    ];

    public async Task<RecordedYear> ReadAsync(string tenant, DateOnly from, DateOnly to, RequestRules rules, CancellationToken cancellationToken)
    {
        var names = Types.ToDictionary(EventNames.NameOf, t => t, StringComparer.Ordinal);
        var serializer = store.Options.Serializer();
        var settingOf = new Dictionary<Guid, (string Urn, Priority Urgency)>();
        var allocated = new Dictionary<int, (decimal Hours, DateOnly On)>(); // by the need's index in demand
        var demand = new List<(Guid Request, Discipline Discipline, TriageAccepted Triage)>();
        var capacity = new List<RecordedCapacity>();
        var unavailable = new List<RecordedUnavailability>();
        var episodeDemand = new Dictionary<Guid, List<int>>();
        await using (var command = dataSource.CreateCommand("SELECT type, stream_id, data FROM mt_events WHERE tenant_id = $1 AND type = ANY($2) ORDER BY seq_id"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = tenant });
            command.Parameters.Add(new NpgsqlParameter { Value = names.Keys.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Varchar });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var stream = reader.GetGuid(1);
                switch (serializer.FromJson(names[reader.GetString(0)], reader, 2))
                {
                    case RequestRaised raised:
                        settingOf[stream] = (raised.SettingUrn, raised.Urgency);
                        break;
                    case TriageAccepted triage:
                        // A new acceptance (after a reopening) is new demand; each discipline is a need of its own.
                        episodeDemand[stream] = [];
                        foreach (var discipline in triage.Disciplines)
                        {
                            episodeDemand[stream].Add(demand.Count);
                            demand.Add((stream, discipline, triage));
                        }

                        break;
                    case PractitionerAllocated allocation when episodeDemand.TryGetValue(stream, out var indices):
                        foreach (var index in indices.Where(i => demand[i].Discipline == allocation.Discipline))
                        {
                            // The first allocation of the need is when it was given time; a reallocation does not move that.
                            allocated.TryAdd(index, (allocation.Hours, rules.LocalDate(allocation.At)));
                        }

                        break;
                    case RequestReopened:
                        episodeDemand.Remove(stream);
                        break;
                    case PractitionerRegistered registered:
                        capacity.Add(Capacity(registered.PractitionerId, registered.Details, rules.LocalDate(registered.At)));
                        break;
                    case PractitionerDetailsChanged changed:
                        capacity.Add(Capacity(changed.PractitionerId, changed.Details, rules.LocalDate(changed.At)));
                        break;
                    case PractitionerAbsenceRecorded absence:
                        unavailable.Add(new RecordedUnavailability(absence.PractitionerId, absence.From, absence.To, null));
                        break;
                    case ClinicScheduled clinic:
                        unavailable.Add(new RecordedUnavailability(clinic.PractitionerId, clinic.Date, clinic.Date, clinic.Hours));
                        break;
                }
            }
        }

        var settings = await SettingsAsync(tenant, from, cancellationToken).ConfigureAwait(false);
        var recorded = new List<RecordedDemand>();
        var otherUse = new List<RecordedUse>(settings.ClinicUse);
        for (var i = 0; i < demand.Count; i++)
        {
            var (request, discipline, triage) = demand[i];
            if (!settingOf.TryGetValue(request, out var setting))
            {
                continue;
            }

            var given = allocated.TryGetValue(i, out var a) ? a : ((decimal Hours, DateOnly On)?)null;
            var hours = given is { Hours: > 0 } ? given.Value.Hours : AllocationHours.For(triage.SupportType);
            if (triage.AcceptedOn < from)
            {
                // Given time before the period: it counts against the setting's share, as it did on the day.
                if (given is { } before)
                {
                    otherUse.Add(new RecordedUse(setting.Urn, before.On, hours));
                }

                continue;
            }

            if (triage.AcceptedOn <= to)
            {
                recorded.Add(new RecordedDemand(
                    AllocationPlanner.DemandId(request, discipline), request, setting.Urn, settings.Locality.GetValueOrDefault(setting.Urn, string.Empty), discipline, triage.Priority,
                    hours, triage.AcceptedOn, triage.At, triage.FirstContactDueBy, given?.On));
            }
        }

        return new RecordedYear(from, to, recorded, capacity, unavailable, otherUse, settings.Entitlement, settings.InScope, settings.TopNeed, settings.Locality);
    }

    private static RecordedCapacity Capacity(string id, PractitionerDetails details, DateOnly from) =>
        new(id, details.Discipline, details.Localities.ToHashSet(StringComparer.Ordinal), from, details.Active ? details.WeeklyCapacityHours : 0);

    private async Task<Settings> SettingsAsync(string tenant, DateOnly from, CancellationToken cancellationToken)
    {
        var entitlement = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var locality = new Dictionary<string, string>(StringComparer.Ordinal);
        var inScope = new HashSet<string>(StringComparer.Ordinal);
        var need = new List<(string Urn, decimal Need)>();
        await using (var command = dataSource.CreateCommand(
            "SELECT s.urn, s.locality, s.in_scope, s.need_index, coalesce(e.annual_hours, s.annual_hours) FROM rpt_coverage_settings s "
            + "LEFT JOIN rm_entitlements e ON e.tenant_id = s.tenant_id AND e.urn = s.urn AND e.academic_year = $2 WHERE s.tenant_id = $1"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = tenant });
            command.Parameters.Add(new NpgsqlParameter { Value = EntitlementFormula.AcademicYear(from) });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var urn = reader.GetString(0);
                locality[urn] = reader.GetString(1);
                entitlement[urn] = reader.GetDecimal(4); // the engine weighs every setting's share, in scope or not
                if (reader.GetBoolean(2))
                {
                    inScope.Add(urn);
                    need.Add((urn, reader.GetDecimal(3)));
                }
            }
        }

        var clinicUse = new List<RecordedUse>();
        await using (var command = dataSource.CreateCommand("SELECT setting_urn, clinic_date, hours FROM rm_clinic_attendance WHERE tenant_id = $1"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = tenant });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                clinicUse.Add(new RecordedUse(reader.GetString(0), reader.GetFieldValue<DateOnly>(1), reader.GetDecimal(2)));
            }
        }

        var topNeed = need.OrderByDescending(n => n.Need).ThenBy(n => n.Urn, StringComparer.Ordinal).Take(Math.Max(1, need.Count / 4)).Select(n => n.Urn).ToHashSet(StringComparer.Ordinal);
        return new Settings(entitlement, inScope, need.Count == 0 ? [] : topNeed, locality, clinicUse);
    }

    private sealed record Settings(
        Dictionary<string, decimal> Entitlement, HashSet<string> InScope, HashSet<string> TopNeed, Dictionary<string, string> Locality, List<RecordedUse> ClinicUse);
}
