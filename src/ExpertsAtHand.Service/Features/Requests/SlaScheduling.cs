using System.Collections.Concurrent;
using ExpertsAtHand.Domain.Calendar;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.EventLog;
using ExpertsAtHand.Infrastructure.Notifications;

namespace ExpertsAtHand.Service.Features.Requests;

/// <summary>A scheduled look at one SLA clock of one request.</summary>
public sealed record CheckRequestSla(Guid RequestId, SlaClock Clock, SlaCheckKind Kind);

/// <summary>Tell the area's triage coordinators that a clock is at risk or breached.</summary>
public sealed record NotifyCoordinators(Guid RequestId, SlaClock Clock, SlaCheckKind Kind, DateOnly DueBy, string? RequestReference = null);

public static class SlaScheduling
{
    /// <summary>
    /// Schedules the checks the new state needs that the old one did not (a clock started, or a pause
    /// moved its dates). Checks left over from earlier states find nothing to do when they fire.
    /// </summary>
    public static async Task ScheduleNewChecksAsync(Wolverine.IMessageBus outbox, string tenant, Guid requestId, RequestState before, RequestState after, RequestRules rules)
    {
        foreach (var check in NewChecks(before, after, rules))
        {
            await outbox.PublishAsync(new CheckRequestSla(requestId, check.Clock, check.Kind), new Wolverine.DeliveryOptions { TenantId = tenant, ScheduledTime = check.DueAt }).ConfigureAwait(false);
        }
    }

    /// <summary>The checks the new state needs that the old one did not.</summary>
    public static IEnumerable<(SlaClock Clock, SlaCheckKind Kind, DateTimeOffset DueAt)> NewChecks(RequestState before, RequestState after, RequestRules rules)
    {
        var existing = before.Exists ? RequestDecider.ScheduledChecks(before, rules).ToHashSet() : [];
        return RequestDecider.ScheduledChecks(after, rules).Where(c => !existing.Contains(c));
    }
}

/// <summary>
/// Records at-risk or breach if it applies now, and sends the coordinators' e-mail with it. A Wolverine
/// handler: its session is the message's area's, and its events and the e-mail message commit with the
/// message's completion.
/// </summary>
public static class CheckRequestSlaHandler
{
    public static async Task<Wolverine.OutgoingMessages> Handle(CheckRequestSla message, Marten.IDocumentSession session, RequestRulesCatalog rules, TimeProvider clock, CancellationToken cancellationToken)
    {
        var outgoing = new Wolverine.OutgoingMessages();
        var (events, version) = await session.ReadStreamAsync(message.RequestId, cancellationToken).ConfigureAwait(false);
        if (events.Count == 0)
        {
            return outgoing;
        }

        var state = RequestDecider.Fold(events.Select(e => e.Data));
        var at = clock.GetUtcNow(); // a check delivered late (after downtime) judges by today
        var decision = RequestDecider.Decide(new CheckSla(message.Clock, message.Kind, SystemActor, at), state, rules.For(session.TenantId));
        if (decision.Events.Count == 0)
        {
            return outgoing; // stopped, paused, or already recorded
        }

        session.LastModifiedBy = SystemActor;
        session.AppendAfter(message.RequestId, version, decision.Events);
        var reference = events[0].Data is RequestRaised raised ? raised.Reference : null;
        foreach (var recorded in decision.Events)
        {
            var dueBy = recorded switch
            {
                SlaAtRisk risk => risk.DueBy,
                SlaBreached breach => breach.DueBy,
                _ => (DateOnly?)null,
            };
            if (dueBy is { } due)
            {
                outgoing.Add(new NotifyCoordinators(message.RequestId, message.Clock, message.Kind, due, reference));
            }
        }

        return outgoing;
    }

    private const string SystemActor = "system:sla";
}

/// <summary>Where SLA e-mails go and which Notify templates they use, per local area.</summary>
public sealed record CoordinatorAlerts(IReadOnlyDictionary<string, string> MailboxByTenant, string DefaultMailbox, string AtRiskTemplate, string BreachTemplate)
{
    public string MailboxFor(string tenant) => MailboxByTenant.TryGetValue(tenant, out var mailbox) ? mailbox : DefaultMailbox;
}

/// <summary>
/// Sends the coordinators' e-mail through Notify, with the message id as the reference, unless Notify
/// already holds one with that reference (a redelivery after a crash or a lost answer): each alert is
/// e-mailed once. No child data goes in it. Failures are retried with back-off and end in Wolverine's
/// dead letters (see MartenAndWolverine).
/// </summary>
public static class NotifyCoordinatorsHandler
{
    public static async Task Handle(NotifyCoordinators message, Wolverine.Envelope envelope, NotifyEmailSender sender, CoordinatorAlerts alerts, CancellationToken cancellationToken)
    {
        var template = message.Kind == SlaCheckKind.AtRisk ? alerts.AtRiskTemplate : alerts.BreachTemplate;
        await sender.SendOnceAsync(
            new NotifyEmail(
                alerts.MailboxFor(envelope.TenantId ?? string.Empty),
                template,
                new Dictionary<string, string>
                {
                    // Requests raised before references existed (and messages queued then) fall back to the id's start.
                    ["request_reference"] = message.RequestReference ?? message.RequestId.ToString()[..8].ToUpperInvariant(),
                    ["clock"] = message.Clock == SlaClock.Triage ? "time to triage" : "time to first contact",
                    ["due_by"] = LongDate(message.DueBy),
                },
                envelope.Id.ToString()),
            cancellationToken).ConfigureAwait(false);
    }

    // The service runs with invariant globalization, so GOV.UK's date style is written out by hand.
    private static readonly string[] Months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    private static string LongDate(DateOnly date) => $"{date.Day} {Months[date.Month - 1]} {date.Year}";
}

/// <summary>Response-time rules per local area: the defaults, or an area's own standards from configuration.</summary>
public sealed class RequestRulesCatalog(RequestRules defaults, IReadOnlyDictionary<string, ResponseTimeStandards> overrides)
{
    private readonly ConcurrentDictionary<string, RequestRules> _byTenant = new(StringComparer.Ordinal);

    public RequestRules Default => defaults;

    public RequestRules For(string tenant) => _byTenant.GetOrAdd(tenant, t => overrides.TryGetValue(t, out var standards) ? defaults with { Standards = standards } : defaults);

    /// <summary>
    /// Reads Sla:Standards:{Urgent|High|Routine}:{TriageWorkingDays|FirstContactWorkingDays}, Sla:AtRiskShare,
    /// Sla:TimeZone, Sla:BankHolidaysFile (GOV.UK JSON), and per area Sla:Areas:{tenant}:Standards:….
    /// </summary>
    public static RequestRulesCatalog FromConfiguration(IConfiguration configuration)
    {
        var calendar = WorkingDayCalendar.EnglandAndWales;
        if (configuration["Sla:BankHolidaysFile"] is { Length: > 0 } file)
        {
            using var holidays = File.OpenRead(file);
            calendar = new WorkingDayCalendar(BankHolidays.Parse(holidays));
        }

        var timeZone = TimeZoneInfo.FindSystemTimeZoneById(configuration["Sla:TimeZone"] ?? "Europe/London");
        var defaults = Standards(configuration.GetSection("Sla"), ResponseTimeStandards.Default);
        var overrides = configuration.GetSection("Sla:Areas").GetChildren()
            .ToDictionary(area => area.Key, area => Standards(area, defaults), StringComparer.Ordinal);
        return new RequestRulesCatalog(new RequestRules(calendar, defaults, timeZone), overrides);
    }

    private static ResponseTimeStandards Standards(IConfigurationSection section, ResponseTimeStandards fallback)
    {
        var byPriority = Enum.GetValues<Priority>().ToDictionary(
            p => p,
            p => new ResponseTimeStandard(
                section.GetValue($"Standards:{p}:TriageWorkingDays", fallback.For(p).TriageWorkingDays),
                section.GetValue($"Standards:{p}:FirstContactWorkingDays", fallback.For(p).FirstContactWorkingDays)));
        return new ResponseTimeStandards(byPriority, section.GetValue("AtRiskShare", fallback.AtRiskShare));
    }
}
