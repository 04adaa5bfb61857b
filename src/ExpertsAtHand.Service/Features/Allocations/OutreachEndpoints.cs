using ExpertsAtHand.Domain.Allocation;
using ExpertsAtHand.Domain.Settings;
using ExpertsAtHand.Service.Features.Requests;
using ExpertsAtHand.Service.Hosting;
using Npgsql;

namespace ExpertsAtHand.Service.Features.Allocations;

public sealed record OutreachCandidate(string Urn, string Name, Phase Phase, string Locality, decimal NeedIndex, decimal UsedHours, decimal ProRataEntitlementHours, decimal UseRatio, DateOnly? LastAskedOn);

/// <summary>
/// Settings to contact rather than wait for: in the top quartile of need (free school meals, SEN
/// support, EHC plans), using little of their share this year, and quiet for weeks.
/// </summary>
public static class OutreachEndpoints
{
    public static IEndpointRouteBuilder MapOutreach(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/outreach", ListAsync).WithTags("Allocations").RequireAuthorization("member").ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithName("ProactiveOutreach")
            .WithSummary("High-need settings (top quartile) whose use of their share is below maxUse and that have asked nothing for quietWeeks.")
            .Produces<IReadOnlyList<OutreachCandidate>>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        return endpoints;
    }

    private static async Task<IResult> ListAsync(HttpContext http, NpgsqlDataSource dataSource, RequestRulesCatalog rules, EntitlementCatalog entitlements, TimeProvider clock, int? quietWeeks, decimal? maxUse, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Coordinator, Roles.Commissioner))
        {
            return Problems.Forbidden("The outreach list is for coordinators and commissioners.");
        }

        if (quietWeeks is < 1 or > 52 || maxUse is < 0 or > 2)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                [quietWeeks is < 1 or > 52 ? "quietWeeks" : "maxUse"] = [quietWeeks is < 1 or > 52 ? "From 1 to 52 weeks." : "A share of entitlement from 0 to 2."],
            });
        }

        var area = rules.For(caller.Tenant);
        var today = area.LocalDate(clock.GetUtcNow());
        var yearStart = new DateOnly(EntitlementFormula.AcademicYear(today), 9, 1);
        var elapsed = Math.Max(7m, today.DayNumber - yearStart.DayNumber + 1) / 365m;
        var formula = entitlements.For(caller.Tenant);
        var quietSince = today.AddDays(-7 * (quietWeeks ?? 12));

        var settings = new List<(OutreachCandidate Candidate, decimal Need)>();
        await using (var command = dataSource.CreateCommand(
            "SELECT s.urn, s.name, s.phase, s.locality, s.number_on_roll, s.percent_fsm, s.percent_sen_support, s.percent_ehcp, "
            + "coalesce((SELECT sum(" + AllocationTime.HeldHours + ") FROM rm_allocations a WHERE a.tenant_id = s.tenant_id AND a.setting_urn = s.urn AND a.allocated_at >= $2), 0) "
            + "+ coalesce((SELECT sum(c.hours) FROM rm_clinic_attendance c WHERE c.tenant_id = s.tenant_id AND c.setting_urn = s.urn AND c.clinic_date >= $3), 0), "
            + "(SELECT max(r.received_on) FROM rm_requests r WHERE r.tenant_id = s.tenant_id AND r.setting_urn = s.urn) "
            + "FROM rm_settings s WHERE s.tenant_id = $1 AND s.open AND s.in_area"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = caller.Tenant });
            command.Parameters.Add(new NpgsqlParameter { Value = area.StartOf(yearStart) });
            command.Parameters.Add(new NpgsqlParameter { Value = yearStart });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var details = new SettingDetails(reader.GetString(1), Enum.Parse<Phase>(reader.GetString(2)), reader.GetString(3), true, reader.GetInt32(4), reader.GetDecimal(5), reader.GetDecimal(6), reader.GetDecimal(7), null, true);
                var need = formula.NeedMultiplier(details);
                var proRata = Math.Round(formula.AnnualHours(details) * elapsed, 1);
                var used = reader.GetDecimal(8);
                settings.Add((new OutreachCandidate(
                    reader.GetString(0), details.Name, details.Phase, details.Locality, Math.Round(need, 3), used, proRata,
                    proRata <= 0 ? 0 : Math.Round(used / proRata, 3),
                    reader.IsDBNull(9) ? null : reader.GetFieldValue<DateOnly>(9)), need));
            }
        }

        if (settings.Count == 0)
        {
            return TypedResults.Ok<IReadOnlyList<OutreachCandidate>>([]);
        }

        var needs = settings.Select(s => s.Need).Order().ToList();
        var topQuartile = needs[(int)Math.Floor(0.75 * (needs.Count - 1))];
        return TypedResults.Ok<IReadOnlyList<OutreachCandidate>>(settings
            .Where(s => s.Need >= topQuartile && s.Candidate.UseRatio < (maxUse ?? 0.25m) && (s.Candidate.LastAskedOn is null || s.Candidate.LastAskedOn < quietSince))
            .Select(s => s.Candidate)
            .OrderByDescending(c => c.NeedIndex)
            .ThenBy(c => c.Urn, StringComparer.Ordinal)
            .ToList());
    }
}
