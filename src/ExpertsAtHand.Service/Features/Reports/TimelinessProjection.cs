using ExpertsAtHand.Domain.Practitioners;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Domain.Settings;
using ExpertsAtHand.Service.EventLog;

namespace ExpertsAtHand.Service.Features.Reports;

/// <summary>
/// Time to triage and to first contact, one row per request episode, with the locality, phase,
/// disciplines, priority and provider organisation reports break them down by. Holds no child data.
/// </summary>
public sealed class TimelinessProjection : IReportProjection
{
    public const string ProjectionName = "timeliness";

    // The episode a request is in now: a reopened request starts a new one.
    private const string CurrentEpisode = "episode = (SELECT max(episode) FROM rpt_request_clocks WHERE tenant_id = $1 AND request_id = $2)";

    public string Name => ProjectionName;

    public IReadOnlyList<string> Tables { get; } = ["rpt_settings", "rpt_practitioners", "rpt_request_clocks"];

    public IReadOnlySet<Type> EventTypes { get; } = new HashSet<Type>
    {
        typeof(SettingRegistered), typeof(SettingDetailsChanged), typeof(PractitionerRegistered), typeof(PractitionerDetailsChanged),
        typeof(RequestRaised), typeof(RequestReopened), typeof(TriageAccepted), typeof(TriageClockStopped), typeof(PractitionerAllocated), typeof(FirstContactRecorded),
    };

    public void Apply(IReadOnlyList<LoggedEvent> events, SqlBatch batch)
    {
        foreach (var e in events)
        {
            if (SettingDecider.DetailsIn(e.Data) is var (urn, setting))
            {
                SettingPlace.Upsert(batch, "rpt_settings", e.TenantId, urn, setting);
                continue;
            }

            if (PractitionerDecider.DetailsIn(e.Data) is var (practitionerId, practitioner))
            {
                Practitioner(batch, e.TenantId, practitionerId, practitioner);
                continue;
            }

            switch (e.Data)
            {
                case RequestRaised r:
                    batch.Add(
                        "INSERT INTO rpt_request_clocks (tenant_id, request_id, episode, setting_urn, locality, phase, urgency, disciplines, received_on) "
                        + "SELECT $1, $2, 1, $3, coalesce(s.locality, 'Unknown'), coalesce(s.phase, 'Unknown'), $4, $5, $6 "
                        + "FROM (SELECT 1) one LEFT JOIN rpt_settings s ON s.tenant_id = $1 AND s.urn = $3 ON CONFLICT DO NOTHING",
                        e.TenantId, e.StreamId, r.SettingUrn, r.Urgency.ToString(), r.Disciplines.Select(d => d.ToString()).ToArray(), r.ReceivedOn);
                    break;
                case RequestReopened r:
                    batch.Add(
                        "INSERT INTO rpt_request_clocks (tenant_id, request_id, episode, setting_urn, locality, phase, urgency, disciplines, received_on) "
                        + $"SELECT tenant_id, request_id, episode + 1, setting_urn, locality, phase, urgency, disciplines, $3 FROM rpt_request_clocks WHERE tenant_id = $1 AND request_id = $2 AND {CurrentEpisode}",
                        e.TenantId, e.StreamId, r.ReceivedOn);
                    break;
                case TriageAccepted a:
                    batch.Add($"UPDATE rpt_request_clocks SET priority = $3, disciplines = $4 WHERE tenant_id = $1 AND request_id = $2 AND {CurrentEpisode}",
                        e.TenantId, e.StreamId, a.Priority.ToString(), a.Disciplines.Select(d => d.ToString()).ToArray());
                    break;
                case TriageClockStopped t:
                    batch.Add($"UPDATE rpt_request_clocks SET triage_days = $3, triage_standard = $4, triage_met = $5, triaged_at = $6 WHERE tenant_id = $1 AND request_id = $2 AND {CurrentEpisode}",
                        e.TenantId, e.StreamId, t.WorkingDays, t.StandardWorkingDays, t.Met, e.RecordedAt);
                    break;
                case PractitionerAllocated p:
                    batch.Add(
                        "UPDATE rpt_request_clocks SET provider = coalesce(provider, (SELECT provider FROM rpt_practitioners WHERE tenant_id = $1 AND practitioner_id = $3)) "
                        + $"WHERE tenant_id = $1 AND request_id = $2 AND {CurrentEpisode}",
                        e.TenantId, e.StreamId, p.PractitionerId);
                    break;
                case FirstContactRecorded f:
                    batch.Add($"UPDATE rpt_request_clocks SET first_contact_days = $3, first_contact_standard = $4, first_contact_met = $5, first_contact_on = $6 WHERE tenant_id = $1 AND request_id = $2 AND {CurrentEpisode}",
                        e.TenantId, e.StreamId, f.WorkingDays, f.StandardWorkingDays, f.Met, f.Date);
                    break;
            }
        }
    }


    private static void Practitioner(SqlBatch batch, string tenant, string id, PractitionerDetails details) =>
        batch.Add(
            "INSERT INTO rpt_practitioners VALUES ($1, $2, $3) ON CONFLICT (tenant_id, practitioner_id) DO UPDATE SET provider = $3",
            tenant, id, details.Provider.ToString());
}
