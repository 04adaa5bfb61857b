using ExpertsAtHand.Domain.Clinics;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Domain.Settings;
using ExpertsAtHand.Service.EventLog;
using ExpertsAtHand.Service.Features.Allocations;

namespace ExpertsAtHand.Service.Features.Reports;

/// <summary>
/// Settings in scope (open, in area) with their entitlement, and every delivered contact or clinic
/// attendance credited to a setting on the day it happened.
/// </summary>
public sealed class CoverageProjection(EntitlementCatalog entitlements) : IReportProjection
{
    public const string ProjectionName = "coverage";

    public string Name => ProjectionName;

    public IReadOnlyList<string> Tables { get; } = ["rpt_coverage_settings", "rpt_coverage_requests", "rpt_coverage_allocations", "rpt_coverage_clinics", "rpt_deliveries"];

    public IReadOnlySet<Type> EventTypes { get; } = new HashSet<Type>
    {
        typeof(SettingRegistered), typeof(SettingDetailsChanged), typeof(RequestRaised), typeof(PractitionerAllocated), typeof(ContactRecorded), typeof(ClinicScheduled), typeof(AttendanceRecorded),
    };

    public void Apply(IReadOnlyList<LoggedEvent> events, SqlBatch batch)
    {
        foreach (var e in events)
        {
            if (SettingDecider.DetailsIn(e.Data) is var (urn, setting))
            {
                Setting(batch, e.TenantId, urn, setting);
                continue;
            }

            switch (e.Data)
            {
                case RequestRaised r:
                    batch.Add("INSERT INTO rpt_coverage_requests VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", e.TenantId, e.StreamId, r.SettingUrn);
                    break;
                case PractitionerAllocated p:
                    batch.Add(
                        "INSERT INTO rpt_coverage_allocations VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, request_id, practitioner_id) DO UPDATE SET discipline = $4",
                        e.TenantId, e.StreamId, p.PractitionerId, p.Discipline.ToString());
                    break;
                case ContactRecorded c:
                    // The contact counts for the discipline its practitioner was allocated to give.
                    batch.Add(
                        "INSERT INTO rpt_deliveries (tenant_id, setting_urn, delivered_on, hours, source, discipline) "
                        + "SELECT $1, r.setting_urn, $3, round($4 / 60.0, 2), 'contact', coalesce(a.discipline, 'Unknown') FROM rpt_coverage_requests r "
                        + "LEFT JOIN rpt_coverage_allocations a ON a.tenant_id = $1 AND a.request_id = $2 AND a.practitioner_id = $5 WHERE r.tenant_id = $1 AND r.request_id = $2",
                        e.TenantId, e.StreamId, c.Date, (decimal)c.DurationMinutes, c.PractitionerId);
                    break;
                case ClinicScheduled s:
                    batch.Add("INSERT INTO rpt_coverage_clinics (tenant_id, clinic_id, clinic_date, hours, discipline) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                        e.TenantId, s.ClinicId, s.Date, s.Hours, s.Discipline.ToString());
                    break;
                case AttendanceRecorded a when a.Attended.Count > 0:
                    batch.Add(
                        "INSERT INTO rpt_deliveries (tenant_id, setting_urn, delivered_on, hours, source, discipline) "
                        + "SELECT $1, urn, c.clinic_date, round(c.hours / $4, 2), 'clinic', c.discipline FROM unnest($3::text[]) AS urn, rpt_coverage_clinics c WHERE c.tenant_id = $1 AND c.clinic_id = $2",
                        e.TenantId, a.ClinicId, a.Attended.ToArray(), a.Attended.Count);
                    break;
            }
        }
    }


    private void Setting(SqlBatch batch, string tenant, string urn, SettingDetails details)
    {
        var formula = entitlements.For(tenant);
        batch.Add(
            "INSERT INTO rpt_coverage_settings VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant_id, urn) DO UPDATE SET locality = $3, phase = $4, name = $5, in_scope = $6, annual_hours = $7, need_index = $8",
            tenant, urn, details.Locality, details.Phase.ToString(), details.Name, details.Open && details.InArea, formula.AnnualHours(details), formula.NeedMultiplier(details));
    }
}
