using ExpertsAtHand.Domain.Allocation;
using ExpertsAtHand.Domain.Settings;
using ExpertsAtHand.Service.Features.Requests;
using Npgsql;

namespace ExpertsAtHand.Service.Features.Allocations;

/// <summary>
/// One open setting's entitlement and use this academic year: its annual hours by the area's formula,
/// the share of them the year so far has earned, and the time it has had (hours held by its allocations,
/// and its share of clinics it attended).
/// </summary>
public sealed record SettingYear(
    string Urn,
    string Name,
    Phase Phase,
    string Locality,
    decimal NeedIndex,
    decimal AnnualEntitlementHours,
    decimal ProRataEntitlementHours,
    decimal AllocatedHours,
    decimal ClinicHours,
    DateOnly? LastAskedOn)
{
    public decimal UsedHours => AllocatedHours + ClinicHours;

    public decimal UseRatio => ProRataEntitlementHours <= 0 ? 0 : Math.Round(UsedHours / ProRataEntitlementHours, 3);
}

/// <summary>Entitlement against use for the academic year so far: the outreach list and a SENCO's own page read it.</summary>
public sealed class EntitlementUse(NpgsqlDataSource dataSource, RequestRulesCatalog rules, EntitlementCatalog entitlements, TimeProvider clock)
{
    public DateOnly Today(string tenant) => rules.For(tenant).LocalDate(clock.GetUtcNow());

    /// <summary>The area's open, in-area settings (or only <paramref name="urns"/>), with the first day of the academic year.</summary>
    public async Task<(DateOnly YearStart, IReadOnlyList<SettingYear> Settings)> ThisYearAsync(string tenant, IReadOnlyCollection<string>? urns, CancellationToken cancellationToken)
    {
        var area = rules.For(tenant);
        var today = area.LocalDate(clock.GetUtcNow());
        var yearStart = new DateOnly(EntitlementFormula.AcademicYear(today), 9, 1);
        // A week's share at least, so a setting is not "over its share" on the first day of term.
        var elapsed = Math.Max(7m, today.DayNumber - yearStart.DayNumber + 1) / 365m;
        var formula = entitlements.For(tenant);

        var settings = new List<SettingYear>();
        await using var command = dataSource.CreateCommand(
            "SELECT s.urn, s.name, s.phase, s.locality, s.number_on_roll, s.percent_fsm, s.percent_sen_support, s.percent_ehcp, "
            + "coalesce((SELECT sum(" + AllocationTime.HeldHours + ") FROM rm_allocations a WHERE a.tenant_id = s.tenant_id AND a.setting_urn = s.urn AND a.allocated_at >= $2), 0), "
            + "coalesce((SELECT sum(c.hours) FROM rm_clinic_attendance c WHERE c.tenant_id = s.tenant_id AND c.setting_urn = s.urn AND c.clinic_date >= $3), 0), "
            + "(SELECT max(r.received_on) FROM rm_requests r WHERE r.tenant_id = s.tenant_id AND r.setting_urn = s.urn) "
            + "FROM rm_settings s WHERE s.tenant_id = $1 AND s.open AND s.in_area AND ($4::text[] IS NULL OR s.urn = ANY($4)) ORDER BY s.name");
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = area.StartOf(yearStart) });
        command.Parameters.Add(new NpgsqlParameter { Value = yearStart });
        command.Parameters.Add(new NpgsqlParameter { Value = urns is null ? DBNull.Value : urns.ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var details = new SettingDetails(reader.GetString(1), Enum.Parse<Phase>(reader.GetString(2)), reader.GetString(3), true, reader.GetInt32(4), reader.GetDecimal(5), reader.GetDecimal(6), reader.GetDecimal(7), null, true);
            var annual = formula.AnnualHours(details);
            settings.Add(new SettingYear(
                reader.GetString(0), details.Name, details.Phase, details.Locality, Math.Round(formula.NeedMultiplier(details), 3),
                annual, Math.Round(annual * elapsed, 1), reader.GetDecimal(8), reader.GetDecimal(9),
                reader.IsDBNull(10) ? null : reader.GetFieldValue<DateOnly>(10)));
        }

        return (yearStart, settings);
    }

    /// <summary>Top-quartile-need settings using less than <paramref name="maxUse"/> of their share and quiet for <paramref name="quietWeeks"/>, neediest first.</summary>
    public async Task<IReadOnlyList<OutreachCandidate>> OutreachAsync(string tenant, int quietWeeks, decimal maxUse, CancellationToken cancellationToken)
    {
        var (_, settings) = await ThisYearAsync(tenant, null, cancellationToken).ConfigureAwait(false);
        if (settings.Count == 0)
        {
            return [];
        }

        var needs = settings.Select(s => s.NeedIndex).Order().ToList();
        var topQuartile = needs[(int)Math.Floor(0.75 * (needs.Count - 1))];
        var quietSince = Today(tenant).AddDays(-7 * quietWeeks);
        return settings
            .Where(s => s.NeedIndex >= topQuartile && s.UseRatio < maxUse && (s.LastAskedOn is null || s.LastAskedOn < quietSince))
            .Select(s => new OutreachCandidate(s.Urn, s.Name, s.Phase, s.Locality, s.NeedIndex, s.UsedHours, s.ProRataEntitlementHours, s.UseRatio, s.LastAskedOn))
            .OrderByDescending(c => c.NeedIndex)
            .ThenBy(c => c.Urn, StringComparer.Ordinal)
            .ToList();
    }
}
