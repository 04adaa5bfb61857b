using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Domain.Settings;
using ExpertsAtHand.Service.EventLog;
using ExpertsAtHand.Service.Features.Requests;

namespace ExpertsAtHand.Service.Features.Reports;

/// <summary>
/// One row per request episode with how it ended and whether support was delivered: the source of
/// de-escalation, escalation and repeat rates and of children supported without a plan.
/// </summary>
public sealed class OutcomesProjection(RequestRulesCatalog rules) : IReportProjection
{
    public const string ProjectionName = "outcomes";
    private const string CurrentEpisode = "episode = (SELECT max(episode) FROM rpt_episodes WHERE tenant_id = $1 AND request_id = $2)";

    public string Name => ProjectionName;

    public IReadOnlyList<string> Tables { get; } = ["rpt_outcome_settings", "rpt_episodes"];

    public IReadOnlySet<Type> EventTypes { get; } = new HashSet<Type>
    {
        typeof(SettingRegistered), typeof(SettingDetailsChanged), typeof(RequestRaised), typeof(RequestReopened), typeof(TriageAccepted), typeof(RequestClosed), typeof(RequestWithdrawn), typeof(ContactRecorded),
    };

    public void Apply(IReadOnlyList<LoggedEvent> events, SqlBatch batch)
    {
        foreach (var e in events)
        {
            if (SettingDecider.DetailsIn(e.Data) is var (urn, setting))
            {
                SettingPlace.Upsert(batch, "rpt_outcome_settings", e.TenantId, urn, setting);
                continue;
            }

            switch (e.Data)
            {
                case RequestRaised r:
                    // A repeat is decided now, from the closures recorded so far: a later closure (of
                    // this request or another) never turns an earlier request into a repeat.
                    batch.Add(
                        "INSERT INTO rpt_episodes (tenant_id, request_id, episode, setting_urn, level, child_key, sen_status, raised_on, disciplines, is_repeat) "
                        + "VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, $5::text IS NOT NULL AND EXISTS (SELECT 1 FROM rpt_episodes p WHERE p.tenant_id = $1 AND p.child_key = $5 "
                        + "AND p.closed_on BETWEEN $7::date - interval '6 months' AND $7::date)) ON CONFLICT DO NOTHING",
                        e.TenantId, e.StreamId, r.SettingUrn, r.Level.ToString(),
                        r.Child is null ? null : r.ChildKey, // the child's key id: the same child, never who
                        r.Child?.SenStatus.ToString(), r.ReceivedOn, r.Disciplines.Select(d => d.ToString()).ToArray());
                    break;
                case RequestReopened r:
                    // A reopening is a new episode of the same request, not a request raised: it is never a repeat.
                    batch.Add(
                        "INSERT INTO rpt_episodes (tenant_id, request_id, episode, setting_urn, level, child_key, sen_status, raised_on, disciplines) "
                        + $"SELECT tenant_id, request_id, episode + 1, setting_urn, level, child_key, sen_status, $3, disciplines FROM rpt_episodes WHERE tenant_id = $1 AND request_id = $2 AND {CurrentEpisode}",
                        e.TenantId, e.StreamId, r.ReceivedOn);
                    break;
                case TriageAccepted a:
                    batch.Add($"UPDATE rpt_episodes SET disciplines = $3 WHERE tenant_id = $1 AND request_id = $2 AND {CurrentEpisode}",
                        e.TenantId, e.StreamId, a.Disciplines.Select(d => d.ToString()).ToArray());
                    break;
                case RequestClosed c:
                    batch.Add($"UPDATE rpt_episodes SET closed_on = $3, outcome = $4 WHERE tenant_id = $1 AND request_id = $2 AND {CurrentEpisode}",
                        e.TenantId, e.StreamId, LocalDate(c.At), c.Outcome.ToString());
                    break;
                case RequestWithdrawn w:
                    batch.Add($"UPDATE rpt_episodes SET closed_on = $3, outcome = $4 WHERE tenant_id = $1 AND request_id = $2 AND {CurrentEpisode}",
                        e.TenantId, e.StreamId, LocalDate(w.At), nameof(ClosureOutcome.Withdrawn));
                    break;
                case ContactRecorded contact:
                    batch.Add($"UPDATE rpt_episodes SET first_delivered_on = least(coalesce(first_delivered_on, $3), $3) WHERE tenant_id = $1 AND request_id = $2 AND {CurrentEpisode}",
                        e.TenantId, e.StreamId, contact.Date);
                    break;
            }
        }
    }

    /// <summary>The area's local date of an instant: a closure at 00:30 in summer belongs to that day, not the one before.</summary>
    private DateOnly LocalDate(DateTimeOffset at) => rules.Default.LocalDate(at);

}
