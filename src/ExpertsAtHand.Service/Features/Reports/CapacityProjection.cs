using ExpertsAtHand.Domain.Clinics;
using ExpertsAtHand.Domain.Practitioners;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Domain.Settings;
using ExpertsAtHand.Service.EventLog;
using ExpertsAtHand.Service.Features.Requests;

namespace ExpertsAtHand.Service.Features.Reports;

/// <summary>
/// Demand and capacity over time: each request episode and discipline with the local dates it was
/// received, triaged, first contacted and ended; each practitioner's hours from the day a change took
/// effect, their absences, and the contacts they delivered. Holds no child data.
/// </summary>
public sealed class CapacityProjection(RequestRulesCatalog rules) : IReportProjection
{
    public const string ProjectionName = "capacity";

    private const string CurrentEpisode = "episode = (SELECT max(episode) FROM rpt_capacity_demand WHERE tenant_id = $1 AND request_id = $2)";

    private static readonly DateOnly CapacityFromTheStart = new(2000, 1, 1);

    public string Name => ProjectionName;

    public IReadOnlyList<string> Tables { get; } =
        ["rpt_capacity_settings", "rpt_capacity_practitioners", "rpt_capacity_absences", "rpt_capacity_contacts", "rpt_capacity_demand", "rpt_capacity_clinics"];

    public IReadOnlySet<Type> EventTypes { get; } = new HashSet<Type>
    {
        typeof(SettingRegistered), typeof(SettingDetailsChanged), typeof(PractitionerRegistered), typeof(PractitionerDetailsChanged), typeof(PractitionerAbsenceRecorded),
        typeof(RequestRaised), typeof(RequestReopened), typeof(TriageAccepted), typeof(TriageClockStopped), typeof(FirstContactRecorded), typeof(ContactRecorded),
        typeof(RequestClosed), typeof(RequestWithdrawn), typeof(ClinicScheduled), typeof(AttendanceRecorded),
    };

    public void Apply(IReadOnlyList<LoggedEvent> events, SqlBatch batch)
    {
        foreach (var e in events)
        {
            if (SettingDecider.DetailsIn(e.Data) is var (urn, setting))
            {
                SettingPlace.Upsert(batch, "rpt_capacity_settings", e.TenantId, urn, setting);
                continue;
            }

            if (PractitionerDecider.DetailsIn(e.Data) is var (practitionerId, practitioner))
            {
                // A change takes effect on the day it was recorded, so weeks before keep the hours they had.
                // A registration stands for the weeks before it too: a team imported in November worked
                // in September, and the log knows nothing better about those weeks.
                batch.Add(
                    "INSERT INTO rpt_capacity_practitioners VALUES ($1, $2, $3, $4, $5, $6, $7) "
                    + "ON CONFLICT (tenant_id, practitioner_id, effective_on) DO UPDATE SET discipline = $4, localities = $5, weekly_hours = $6, active = $7",
                    e.TenantId, practitionerId, e.Data is PractitionerRegistered ? CapacityFromTheStart : LocalDate(e), practitioner.Discipline.ToString(), practitioner.Localities.ToArray(), practitioner.WeeklyCapacityHours, practitioner.Active);
                continue;
            }

            switch (e.Data)
            {
                case PractitionerAbsenceRecorded a:
                    batch.Add("INSERT INTO rpt_capacity_absences VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING", e.TenantId, a.AbsenceId, a.PractitionerId, a.From, a.To);
                    break;
                case RequestRaised r:
                    batch.Add(
                        "INSERT INTO rpt_capacity_demand (tenant_id, request_id, episode, discipline, locality, phase, received_on) "
                        + "SELECT $1, $2, 1, d, coalesce(s.locality, 'Unknown'), coalesce(s.phase, 'Unknown'), $4 FROM unnest($5::text[]) AS d "
                        + "LEFT JOIN rpt_capacity_settings s ON s.tenant_id = $1 AND s.urn = $3 ON CONFLICT DO NOTHING",
                        e.TenantId, e.StreamId, r.SettingUrn, r.ReceivedOn, r.Disciplines.Select(d => d.ToString()).ToArray());
                    break;
                case RequestReopened r:
                    batch.Add(
                        "INSERT INTO rpt_capacity_demand (tenant_id, request_id, episode, discipline, locality, phase, received_on) "
                        + $"SELECT tenant_id, request_id, episode + 1, discipline, locality, phase, $3 FROM rpt_capacity_demand WHERE tenant_id = $1 AND request_id = $2 AND {CurrentEpisode}",
                        e.TenantId, e.StreamId, r.ReceivedOn);
                    break;
                case TriageAccepted a:
                    // Triage settles which disciplines the request needs.
                    batch.Add(
                        "WITH current AS (SELECT episode, locality, phase, received_on FROM rpt_capacity_demand WHERE tenant_id = $1 AND request_id = $2 ORDER BY episode DESC LIMIT 1), "
                        + "dropped AS (DELETE FROM rpt_capacity_demand d USING current c WHERE d.tenant_id = $1 AND d.request_id = $2 AND d.episode = c.episode AND NOT d.discipline = ANY($3)) "
                        + "INSERT INTO rpt_capacity_demand (tenant_id, request_id, episode, discipline, locality, phase, received_on) "
                        + "SELECT $1, $2, c.episode, x, c.locality, c.phase, c.received_on FROM current c, unnest($3::text[]) AS x ON CONFLICT DO NOTHING",
                        e.TenantId, e.StreamId, a.Disciplines.Select(d => d.ToString()).ToArray());
                    break;
                case TriageClockStopped:
                    batch.Add($"UPDATE rpt_capacity_demand SET triaged_on = $3 WHERE tenant_id = $1 AND request_id = $2 AND {CurrentEpisode}", e.TenantId, e.StreamId, LocalDate(e));
                    break;
                case FirstContactRecorded f:
                    batch.Add($"UPDATE rpt_capacity_demand SET first_contact_on = $3 WHERE tenant_id = $1 AND request_id = $2 AND {CurrentEpisode}", e.TenantId, e.StreamId, f.Date);
                    break;
                case ContactRecorded c:
                    batch.Add("INSERT INTO rpt_capacity_contacts VALUES ($1, $2, $3, $4, round($5 / 60.0, 2)) ON CONFLICT DO NOTHING",
                        e.TenantId, c.ContactId, c.PractitionerId, c.Date, (decimal)c.DurationMinutes);
                    break;
                case ClinicScheduled s:
                    batch.Add("INSERT INTO rpt_capacity_clinics VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING", e.TenantId, s.ClinicId, s.PractitionerId, s.Date, s.Hours);
                    break;
                case AttendanceRecorded a when a.Attended.Count > 0:
                    // A clinic someone came to is delivered time, as coverage and equity credit it: the
                    // whole clinic's hours for its practitioner (the settings share them between them).
                    batch.Add(
                        "INSERT INTO rpt_capacity_contacts SELECT tenant_id, clinic_id, practitioner_id, clinic_date, hours FROM rpt_capacity_clinics WHERE tenant_id = $1 AND clinic_id = $2 ON CONFLICT DO NOTHING",
                        e.TenantId, a.ClinicId);
                    break;
                case RequestClosed or RequestWithdrawn:
                    batch.Add($"UPDATE rpt_capacity_demand SET ended_on = $3 WHERE tenant_id = $1 AND request_id = $2 AND {CurrentEpisode}", e.TenantId, e.StreamId, LocalDate(e));
                    break;
            }
        }
    }

    /// <summary>The area's local date an event was recorded on: when triage and closure happened.</summary>
    private DateOnly LocalDate(LoggedEvent e) => rules.For(e.TenantId).LocalDate(e.RecordedAt);

}
