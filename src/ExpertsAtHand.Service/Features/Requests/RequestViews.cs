using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Infrastructure;
using ExpertsAtHand.Service.EventLog;
using Npgsql;
using NpgsqlTypes;

namespace ExpertsAtHand.Service.Features.Requests;

/// <summary>What people read about a request, folded from its events.</summary>
public static class RequestViews
{
    /// <summary>
    /// The request as it stands: its current episode (since it was last reopened, if it was) with that
    /// episode's decisions, clocks, allocations and contacts. Earlier episodes live in the history.
    /// </summary>
    public static RequestView Build(Guid id, long version, IReadOnlyList<object> events)
    {
        var state = RequestDecider.Fold(events);
        var raised = events.OfType<RequestRaised>().First();
        var episodeStart = LastIndexOf<RequestReopened>(events);
        var reopened = episodeStart < 0 ? null : (RequestReopened)events[episodeStart];
        var episode = events.Skip(Math.Max(0, episodeStart)).ToList();
        var accepted = episode.OfType<TriageAccepted>().LastOrDefault();
        var routed = episode.OfType<RoutedToPathway>().LastOrDefault();
        var triageClock = episode.OfType<TriageClockStopped>().LastOrDefault();
        var firstContact = episode.OfType<FirstContactRecorded>().LastOrDefault();
        bool AtRisk(SlaClock clock) => episode.OfType<SlaAtRisk>().Any(r => r.Clock == clock);
        bool Breached(SlaClock clock) => episode.OfType<SlaBreached>().Any(b => b.Clock == clock);
        return new RequestView(
            id,
            raised.Reference,
            version,
            raised.SettingUrn,
            raised.Level,
            state.Status,
            raised.Urgency,
            state.Priority,
            state.Disciplines,
            raised.AreasOfNeed,
            raised.NeedsSummary,
            raised.ActionTaken,
            raised.Child is { } child ? new ChildView(child.Reference, child.YearGroup, child.SenStatus, child.ParentalConsent) : null,
            accepted?.SupportType,
            routed?.Pathway,
            state.Practitioners,
            [.. episode.OfType<ContactRecorded>().Select(c => new ContactView(c.ContactId, c.Date, c.DurationMinutes, c.Mode, c.Attended, c.PractitionerId))],
            state.Outcome,
            new SlaView(
                state.TriageDueBy,
                state.FirstContactDueBy,
                triageClock?.WorkingDays,
                triageClock?.Met,
                firstContact?.WorkingDays,
                firstContact?.Met,
                episode.OfType<SlaAtRisk>().Any(),
                episode.OfType<SlaBreached>().Any(),
                AtRisk(SlaClock.Triage),
                Breached(SlaClock.Triage),
                AtRisk(SlaClock.FirstContact),
                Breached(SlaClock.FirstContact),
                state.PausedOn),
            raised.RaisedAt,
            Episode: 1 + events.OfType<RequestReopened>().Count(),
            ReopenedAt: reopened?.At,
            Allocations: Allocations(id, events, Math.Max(0, episodeStart)));
    }

    /// <summary>The current episode's allocations, each with the id its explanation is read by.</summary>
    private static List<AllocationView> Allocations(Guid id, IReadOnlyList<object> events, int from)
    {
        var views = new List<AllocationView>();
        for (var i = from; i < events.Count; i++)
        {
            if (events[i] is PractitionerAllocated allocated)
            {
                // Versions run from 1 with no gaps, so the event at index i is version i + 1.
                views.RemoveAll(v => v.Discipline == allocated.Discipline); // a reallocation replaces the earlier one
                views.Add(new AllocationView(AllocationId(id, i + 1, allocated), allocated.PractitionerId, allocated.Discipline, allocated.Hours, allocated.At));
            }
        }

        return views;
    }

    /// <summary>An allocation's id: its own, or for the earliest events (which had none) one derived from the stream and version.</summary>
    public static Guid AllocationId(Guid requestId, long version, PractitionerAllocated allocated) =>
        allocated.AllocationId == Guid.Empty ? StreamId.For("allocation", $"{requestId}/{version}") : allocated.AllocationId;

    private static int LastIndexOf<T>(IReadOnlyList<object> events)
    {
        for (var i = events.Count - 1; i >= 0; i--)
        {
            if (events[i] is T)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The audit trail: every event, who caused it, when, in words (<paramref name="opened"/>: the events' data as people read it).</summary>
    public static IReadOnlyList<TimelineEntry> Timeline(IReadOnlyList<JasperFx.Events.IEvent> events, IReadOnlyList<object> opened) =>
    [
        .. events.Select((e, i) => new TimelineEntry(
            e.Version,
            e.EventTypeName,
            e.Timestamp,
            e.UserName ?? "system",
            Describe(opened[i]),
            e.Data is PractitionerAllocated allocated ? AllocationId(e.StreamId, e.Version, allocated) : null)),
    ];

    private static string Describe(object data) => data switch
    {
        RequestRaised { Reference: { } reference } e => $"Raised as {reference} at {e.Level} level for {string.Join(", ", e.Disciplines)}; triage due by {e.TriageDueBy:yyyy-MM-dd}.",
        RequestRaised e => $"Raised at {e.Level} level for {string.Join(", ", e.Disciplines)}; triage due by {e.TriageDueBy:yyyy-MM-dd}.",
        InformationRequested => "More information asked of the setting; the triage clock is paused.",
        InformationProvided e => $"Information provided; the clock restarts ({e.PausedWorkingDays} working day(s) paused), triage due by {e.TriageDueBy:yyyy-MM-dd}.",
        TriageAccepted e => $"Accepted for {e.SupportType} ({string.Join(", ", e.Disciplines)}) at {e.Priority} priority; first contact due by {e.FirstContactDueBy:yyyy-MM-dd}. Rationale: {e.Rationale}",
        RoutedToPathway e => $"Routed to {e.Pathway}. Rationale: {e.Rationale}",
        TriageDeclined e => $"Declined with signposting: {e.Signposting}. Rationale: {e.Rationale}",
        TriageClockStopped e => $"Triaged in {e.WorkingDays} working day(s) against a standard of {e.StandardWorkingDays}: {(e.Met ? "met" : "missed")}.",
        SlaAtRisk e => $"{e.Clock} standard at risk (due by {e.DueBy:yyyy-MM-dd}).",
        SlaBreached e => $"{e.Clock} standard breached (was due by {e.DueBy:yyyy-MM-dd}).",
        PractitionerAllocated { OverrideReason: { Length: > 0 } reason } e => $"Practitioner {e.PractitionerId} allocated for {e.Discipline}, chosen over the engine's suggestion. Reason: {reason}",
        PractitionerAllocated e => $"Practitioner {e.PractitionerId} allocated for {e.Discipline}.",
        ContactRecorded e => $"{e.Mode} contact on {e.Date:yyyy-MM-dd}, {e.DurationMinutes} minutes, with {string.Join(", ", e.Attended)}.",
        FirstContactRecorded e => $"First contact {e.WorkingDays} working day(s) after acceptance against a standard of {e.StandardWorkingDays}: {(e.Met ? "met" : "missed")}.",
        RequestClosed e => $"Closed: {e.Outcome}.",
        RequestReopened e => $"Reopened: {e.Reason}",
        RequestWithdrawn e => $"Withdrawn by the setting: {e.Reason}",
        Domain.Feedback.SettingFeedbackGiven e => $"The setting gave feedback on episode {e.Episode}: {e.Rating}.",
        Domain.Feedback.SettingFeedbackAmended e => $"The setting amended its feedback: {e.Rating}.",
        Domain.Feedback.FamilyFeedbackInvited e => $"The family was given a feedback code for episode {e.Episode}, valid until {e.ExpiresAt:yyyy-MM-dd}.",
        Domain.Feedback.FamilyFeedbackGiven e => $"The family gave feedback on episode {e.Episode}: {e.Rating}.",
        Domain.Feedback.FeedbackThemesTagged e => $"Feedback tagged: {string.Join(", ", e.Themes)}.",
        RequestDetailsErased e => $"The child's details and every note about them were erased ({e.Grounds}); dates, decisions and outcomes remain.",
        _ => data.GetType().Name,
    };
}

/// <summary>Keeps rm_requests in step with every request event, in the appending transaction.</summary>
public sealed class RequestsProjection : IReadModelProjection
{
    public void Project(IReadOnlyList<LoggedEvent> events, SqlBatch batch)
    {
        foreach (var e in events.Where(e => EventNames.RequestEvents.Contains(e.Data.GetType())))
        {
            switch (e.Data)
            {
                case RequestRaised raised:
                    batch.Add(
                        "INSERT INTO rm_requests (tenant_id, request_id, setting_urn, level, status, urgency, disciplines, received_on, triage_due_by, raised_at, updated_at, version, reference, details_key) "
                        + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12, $13::uuid)",
                        e.TenantId, e.StreamId, raised.SettingUrn, raised.Level.ToString(), nameof(RequestStatus.AwaitingTriage), raised.Urgency.ToString(),
                        raised.Disciplines.Select(d => d.ToString()).ToArray(), raised.ReceivedOn, raised.TriageDueBy, raised.RaisedAt, e.Version, (object?)raised.Reference, (object?)raised.DetailsKey);
                    break;
                case InformationRequested:
                    Update(batch, e, "status = $4, paused_on = $5", nameof(RequestStatus.AwaitingInformation), ((InformationRequested)e.Data).PausedOn);
                    break;
                case InformationProvided provided:
                    Update(batch, e, "status = $4, triage_due_by = $5, paused_on = NULL", nameof(RequestStatus.AwaitingTriage), provided.TriageDueBy);
                    break;
                case TriageAccepted accepted:
                    Update(batch, e, "status = $4, priority = $5, disciplines = $6, first_contact_due_by = $7, support_type = $8, at_risk = false, breached = false",
                        nameof(RequestStatus.AwaitingAllocation), accepted.Priority.ToString(), accepted.Disciplines.Select(d => d.ToString()).ToArray(), accepted.FirstContactDueBy, accepted.SupportType.ToString());
                    break;
                case PractitionerAllocated allocated:
                    Update(batch, e, "status = CASE WHEN status = 'AwaitingAllocation' THEN 'Allocated' ELSE status END, practitioners = array_append(array_remove(practitioners, $4), $4)", allocated.PractitionerId);
                    // A new allocation for a discipline replaces the one before: that one gives back what it did not use.
                    batch.Add(
                        "UPDATE rm_allocations SET active = false, released_at = $4 WHERE tenant_id = $1 AND request_id = $2 AND discipline = $3 AND active",
                        e.TenantId, e.StreamId, allocated.Discipline.ToString(), e.RecordedAt);
                    batch.Add(
                        "INSERT INTO rm_allocations (tenant_id, allocation_id, request_id, setting_urn, practitioner_id, discipline, hours, allocated_at, ranking, override_reason) "
                        + "SELECT $1, $3, $2, setting_urn, $4, $5, $6, $7, $8::jsonb, $9 FROM rm_requests WHERE tenant_id = $1 AND request_id = $2",
                        e.TenantId,
                        e.StreamId,
                        RequestViews.AllocationId(e.StreamId, e.Version, allocated),
                        allocated.PractitionerId,
                        allocated.Discipline.ToString(),
                        allocated.Hours,
                        allocated.At,
                        allocated.Ranking is null ? null : System.Text.Json.JsonSerializer.Serialize(allocated.Ranking),
                        (object?)allocated.OverrideReason);
                    break;
                case ContactRecorded contact:
                    // Delivered time is drawn from the practitioner's allocation on this request.
                    batch.Add(
                        "UPDATE rm_allocations SET used_hours = used_hours + round($4 / 60.0, 2) WHERE tenant_id = $1 AND request_id = $2 AND practitioner_id = $3 AND active",
                        e.TenantId, e.StreamId, contact.PractitionerId, (decimal)contact.DurationMinutes);
                    Update(batch, e, string.Empty);
                    break;
                case FirstContactRecorded:
                    Update(batch, e, "status = $4, at_risk = false, breached = false", nameof(RequestStatus.InProgress));
                    break;
                case SlaAtRisk:
                    Update(batch, e, "at_risk = true");
                    break;
                case SlaBreached:
                    Update(batch, e, "breached = true");
                    break;
                case RequestClosed closed:
                    Release(batch, e);
                    Update(batch, e, "status = $4, outcome = $5", nameof(RequestStatus.Closed), closed.Outcome.ToString());
                    break;
                case RequestWithdrawn:
                    Release(batch, e);
                    Update(batch, e, "status = $4, outcome = $5", nameof(RequestStatus.Withdrawn), nameof(ClosureOutcome.Withdrawn));
                    break;
                case RequestDetailsErased:
                    // The sealed reason can no longer be opened; saying so here keeps even its ciphertext out of the read model.
                    batch.Add("UPDATE rm_allocations SET override_reason = $3 WHERE tenant_id = $1 AND request_id = $2 AND override_reason IS NOT NULL", e.TenantId, e.StreamId, Privacy.SealedText.Erased);
                    Update(batch, e, string.Empty);
                    break;
                case RequestReopened reopened:
                    Release(batch, e);
                    Update(batch, e, "status = $4, outcome = NULL, priority = NULL, support_type = NULL, first_contact_due_by = NULL, practitioners = '{}', at_risk = false, breached = false, received_on = $5, triage_due_by = $6, paused_on = NULL, reopened_at = $7",
                        nameof(RequestStatus.AwaitingTriage), reopened.ReceivedOn, reopened.TriageDueBy, reopened.At);
                    break;
                default:
                    Update(batch, e, string.Empty); // still moves version and updated_at
                    break;
            }
        }
    }

    /// <summary>
    /// The request no longer needs its practitioners' time (closed, withdrawn, reopened into triage):
    /// each allocation gives back what it did not use. See <see cref="Allocations.AllocationTime"/>.
    /// </summary>
    private static void Release(SqlBatch batch, LoggedEvent e) =>
        batch.Add("UPDATE rm_allocations SET active = false, released_at = $3 WHERE tenant_id = $1 AND request_id = $2 AND active", e.TenantId, e.StreamId, e.RecordedAt);

    /// <summary>Parameters $1 to $3 are the tenant, request and version; <paramref name="set"/> numbers its own from $4.</summary>
    private static void Update(SqlBatch batch, LoggedEvent e, string set, params object?[] values) =>
        batch.Add(
            $"UPDATE rm_requests SET {(set.Length > 0 ? set + ", " : string.Empty)}version = $3, updated_at = ${values.Length + 4} WHERE tenant_id = $1 AND request_id = $2",
            [e.TenantId, e.StreamId, e.Version, .. values, e.RecordedAt]);
}
