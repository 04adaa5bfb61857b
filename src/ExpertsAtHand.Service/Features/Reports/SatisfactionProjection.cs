using ExpertsAtHand.Domain.Feedback;
using ExpertsAtHand.Domain.Practitioners;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Domain.Settings;
using ExpertsAtHand.Service.EventLog;
using ExpertsAtHand.Service.Features.Requests;

namespace ExpertsAtHand.Service.Features.Reports;

/// <summary>
/// One row per episode of support (where, which disciplines, which providers' practitioners, when and
/// how it closed) and one per piece of feedback (source, rating, advice used, never the comment): the
/// source of response rates and satisfaction, with the themes coordinators tagged and "you said, we did".
/// </summary>
public sealed class SatisfactionProjection(RequestRulesCatalog rules) : IReportProjection
{
    public const string ProjectionName = "satisfaction";
    private const string CurrentEpisode = "episode = (SELECT max(episode) FROM rpt_satisfaction_episodes WHERE tenant_id = $1 AND request_id = $2)";

    public string Name => ProjectionName;

    public IReadOnlyList<string> Tables { get; } =
    [
        "rpt_satisfaction_settings", "rpt_satisfaction_practitioners", "rpt_satisfaction_episodes", "rpt_satisfaction_feedback",
        "rpt_satisfaction_invitations", "rpt_satisfaction_themes", "rpt_service_changes",
    ];

    public IReadOnlySet<Type> EventTypes { get; } = new HashSet<Type>
    {
        typeof(SettingRegistered), typeof(SettingDetailsChanged), typeof(PractitionerRegistered), typeof(PractitionerDetailsChanged),
        typeof(RequestRaised), typeof(RequestReopened), typeof(TriageAccepted), typeof(PractitionerAllocated), typeof(RequestClosed), typeof(RequestWithdrawn),
        typeof(SettingFeedbackGiven), typeof(SettingFeedbackAmended), typeof(FamilyFeedbackInvited), typeof(FamilyFeedbackGiven), typeof(FeedbackThemesTagged),
        typeof(ServiceChangeRecorded),
    };

    public void Apply(IReadOnlyList<LoggedEvent> events, SqlBatch batch)
    {
        foreach (var e in events)
        {
            if (SettingDecider.DetailsIn(e.Data) is var (urn, setting))
            {
                SettingPlace.Upsert(batch, "rpt_satisfaction_settings", e.TenantId, urn, setting);
                continue;
            }

            if (PractitionerDecider.DetailsIn(e.Data) is var (practitionerId, practitioner))
            {
                batch.Add(
                    "INSERT INTO rpt_satisfaction_practitioners (tenant_id, practitioner_id, provider) VALUES ($1, $2, $3) ON CONFLICT (tenant_id, practitioner_id) DO UPDATE SET provider = EXCLUDED.provider",
                    e.TenantId, practitionerId, practitioner.Provider.ToString());
                continue;
            }

            switch (e.Data)
            {
                case RequestRaised r:
                    batch.Add(
                        "INSERT INTO rpt_satisfaction_episodes (tenant_id, request_id, episode, setting_urn, disciplines) VALUES ($1, $2, 1, $3, $4) ON CONFLICT DO NOTHING",
                        e.TenantId, e.StreamId, r.SettingUrn, r.Disciplines.Select(d => d.ToString()).ToArray());
                    break;
                case RequestReopened:
                    batch.Add(
                        "INSERT INTO rpt_satisfaction_episodes (tenant_id, request_id, episode, setting_urn, disciplines) "
                        + $"SELECT tenant_id, request_id, episode + 1, setting_urn, disciplines FROM rpt_satisfaction_episodes WHERE tenant_id = $1 AND request_id = $2 AND {CurrentEpisode}",
                        e.TenantId, e.StreamId);
                    break;
                case TriageAccepted a:
                    batch.Add($"UPDATE rpt_satisfaction_episodes SET disciplines = $3 WHERE tenant_id = $1 AND request_id = $2 AND {CurrentEpisode}",
                        e.TenantId, e.StreamId, a.Disciplines.Select(d => d.ToString()).ToArray());
                    break;
                case PractitionerAllocated allocated:
                    // The provider organisation whose practitioner gave the support: feedback is reported by provider.
                    batch.Add(
                        "UPDATE rpt_satisfaction_episodes SET providers = array_append(array_remove(providers, p.provider), p.provider) "
                        + $"FROM rpt_satisfaction_practitioners p WHERE p.tenant_id = $1 AND p.practitioner_id = $3 AND rpt_satisfaction_episodes.tenant_id = $1 AND request_id = $2 AND {CurrentEpisode}",
                        e.TenantId, e.StreamId, allocated.PractitionerId);
                    break;
                case RequestClosed c:
                    batch.Add($"UPDATE rpt_satisfaction_episodes SET closed_on = $3, outcome = $4 WHERE tenant_id = $1 AND request_id = $2 AND {CurrentEpisode}",
                        e.TenantId, e.StreamId, rules.Default.LocalDate(c.At), c.Outcome.ToString());
                    break;
                case RequestWithdrawn w:
                    batch.Add($"UPDATE rpt_satisfaction_episodes SET closed_on = $3, outcome = $4 WHERE tenant_id = $1 AND request_id = $2 AND {CurrentEpisode}",
                        e.TenantId, e.StreamId, rules.Default.LocalDate(w.At), nameof(ClosureOutcome.Withdrawn));
                    break;
                case SettingFeedbackGiven given:
                    Feedback(batch, e, given.FeedbackId, given.Episode, "Setting", given.Rating, given.AdviceUsed, given.At);
                    break;
                case SettingFeedbackAmended amended:
                    batch.Add("UPDATE rpt_satisfaction_feedback SET rating = $3, advice_used = $4::boolean WHERE tenant_id = $1 AND feedback_id = $2",
                        e.TenantId, amended.FeedbackId, amended.Rating.ToString(), (object?)amended.AdviceUsed);
                    break;
                case FamilyFeedbackInvited invited:
                    batch.Add("INSERT INTO rpt_satisfaction_invitations (tenant_id, invitation_id, request_id, episode) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                        e.TenantId, invited.InvitationId, e.StreamId, invited.Episode);
                    break;
                case FamilyFeedbackGiven family:
                    Feedback(batch, e, family.FeedbackId, family.Episode, "Family", family.Rating, null, family.At);
                    break;
                case FeedbackThemesTagged tagged:
                    batch.Add("DELETE FROM rpt_satisfaction_themes WHERE tenant_id = $1 AND feedback_id = $2", e.TenantId, tagged.FeedbackId);
                    foreach (var theme in tagged.Themes)
                    {
                        batch.Add("INSERT INTO rpt_satisfaction_themes (tenant_id, feedback_id, theme) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", e.TenantId, tagged.FeedbackId, theme.ToString());
                    }

                    break;
                case ServiceChangeRecorded change:
                    batch.Add(
                        "INSERT INTO rpt_service_changes (tenant_id, change_id, theme, you_said, we_did, recorded_on) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                        e.TenantId, change.ChangeId, change.Theme.ToString(), change.YouSaid, change.WeDid, rules.Default.LocalDate(change.At));
                    break;
            }
        }
    }

    private void Feedback(SqlBatch batch, LoggedEvent e, Guid id, int episode, string source, SatisfactionRating rating, bool? adviceUsed, DateTimeOffset at) =>
        batch.Add(
            "INSERT INTO rpt_satisfaction_feedback (tenant_id, feedback_id, request_id, episode, source, rating, advice_used, given_on) VALUES ($1, $2, $3, $4, $5, $6, $7::boolean, $8) ON CONFLICT DO NOTHING",
            e.TenantId, id, e.StreamId, episode, source, rating.ToString(), (object?)adviceUsed, rules.Default.LocalDate(at));
}
