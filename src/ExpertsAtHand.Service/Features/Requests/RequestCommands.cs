using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.EventLog;
using ExpertsAtHand.Service.Features.Privacy;
using Marten;
using Wolverine.Marten;
using ExpertsAtHand.Service.Hosting;

namespace ExpertsAtHand.Service.Features.Requests;

/// <summary>The outcome of a command, for the endpoint to turn into an HTTP answer.</summary>
public abstract record CommandResult
{
    public sealed record Done(RequestView View) : CommandResult;

    public sealed record NotFound : CommandResult;

    public sealed record Stale(long Current) : CommandResult;

    public sealed record Refused(string Reason) : CommandResult;
}

/// <summary>
/// Runs every request command the same way: load the stream, check the caller may see it and act,
/// check If-Match, decide, then append the events and schedule the SLA checks the new state needs,
/// in one transaction.
/// </summary>
public sealed class RequestCommandHandler(
    IDocumentStore store,
    IMartenOutbox outbox,
    RequestRulesCatalog rules,
    RequestReferences references,
    DetailKeys keys,
    TimeProvider clock)
{
    public static Guid StreamFor(Guid requestId) => requestId;

    public async Task<CommandResult> RaiseAsync(RaiseRequest raise, Caller caller, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.Source.StartActivity("request RaiseRequest");
        await using var session = store.OpenFor(caller.Tenant, caller.Actor);
        // Numbered before deciding: a refused raise leaves a gap in the area's numbers, never a duplicate.
        raise = raise with { Reference = await references.NextAsync(caller.Tenant, rules.For(caller.Tenant).LocalDate(raise.At).Year, cancellationToken).ConfigureAwait(false) };
        var area = rules.For(caller.Tenant);
        var decision = RequestDecider.Decide(raise, RequestState.Initial, area);
        CommandResult result;
        if (decision.IsRejected)
        {
            result = new CommandResult.Refused(decision.Rejection!);
        }
        else
        {
            // The child's key (made on their first request) seals the details; a refused raise makes none.
            var key = await keys.ForNewRequestAsync(caller.Tenant, raise.SettingUrn, raise.Child, area.LocalDate(raise.At), cancellationToken).ConfigureAwait(false);
            decision = RequestDecider.Decide(RequestDetailSealing.Keyed(raise, key), RequestState.Initial, area);
            result = await CommitAsync(session, raise.RequestId, 0, RequestState.Initial, decision, key, [], caller, cancellationToken).ConfigureAwait(false);
        }

        if (result is CommandResult.Stale)
        {
            // The id was taken from an Idempotency-Key whose first attempt created the request but never
            // answered (the node died): that request, not a second one, is the answer.
            result = await ExistingAsync(raise.RequestId, caller, cancellationToken).ConfigureAwait(false);
        }

        return Record(nameof(RaiseRequest), result);
    }

    public async Task<CommandResult> HandleAsync(Guid requestId, long? expectedVersion, Caller caller, Func<DateTimeOffset, RequestCommand> command, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var decided = command(now);
        var name = decided.GetType().Name;
        using var activity = Telemetry.Source.StartActivity($"request {name}");
        return Record(name, await HandleAsync(requestId, expectedVersion, caller, decided, cancellationToken).ConfigureAwait(false));
    }

    private async Task<CommandResult> HandleAsync(Guid requestId, long? expectedVersion, Caller caller, RequestCommand command, CancellationToken cancellationToken)
    {
        await using var session = store.OpenFor(caller.Tenant, caller.Actor);
        var (events, version) = await session.ReadStreamAsync(StreamFor(requestId), cancellationToken).ConfigureAwait(false);
        var state = RequestDecider.Fold(events.Select(e => e.Data));
        if (!state.Exists || !RequestScope.CanSee(caller, state))
        {
            return new CommandResult.NotFound();
        }

        if (expectedVersion is { } expected && expected != version)
        {
            return new CommandResult.Stale(version);
        }

        var decision = RequestDecider.Decide(command, state, rules.For(caller.Tenant));
        if (decision.IsRejected)
        {
            return new CommandResult.Refused(decision.Rejection!);
        }

        var history = events.Select(e => e.Data).ToList();
        // A request raised before sealing has no key, and one whose details were erased records only what
        // holds no text: either way its new events are stored as decided.
        var (key, ring) = await keys.RequestKeyAsync(caller.Tenant, history, cancellationToken).ConfigureAwait(false);
        var opened = RequestDetailSealing.Open(history, ring);
        return await CommitAsync(session, requestId, version, state, decision, key, opened, caller, cancellationToken).ConfigureAwait(false);
    }

    private async Task<CommandResult> ExistingAsync(Guid requestId, Caller caller, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession(caller.Tenant);
        var events = await session.Events.FetchStreamAsync(StreamFor(requestId), token: cancellationToken).ConfigureAwait(false);
        var state = RequestDecider.Fold(events.Select(e => e.Data));
        return state.Exists && RequestScope.CanSee(caller, state)
            ? new CommandResult.Done(RequestViews.Build(requestId, events[^1].Version, await keys.OpenAsync(caller.Tenant, [.. events.Select(e => e.Data)], cancellationToken).ConfigureAwait(false)))
            : new CommandResult.Refused("A request with this id exists already.");
    }

    /// <param name="key">Seals the events' details as they are stored; null stores them as decided.</param>
    /// <param name="history">The stream's earlier events, opened, for the answer's view.</param>
    private async Task<CommandResult> CommitAsync(IDocumentSession session, Guid requestId, long version, RequestState before, Decision decision, DataKey? key, IReadOnlyList<object> history, Caller caller, CancellationToken cancellationToken)
    {
        var after = decision.Events.Aggregate(before, RequestDecider.Evolve);
        session.AppendAfter(StreamFor(requestId), version, key is null ? decision.Events : RequestDetailSealing.Seal(decision.Events, key));
        // The checks are Wolverine messages in this session's outbox: they exist if and only if the events do.
        outbox.Enroll(session);
        await SlaScheduling.ScheduleNewChecksAsync(outbox, caller.Tenant, requestId, before, after, rules.For(caller.Tenant)).ConfigureAwait(false);
        if (decision.Events.OfType<RequestClosed>().Any())
        {
            // Asked when it closes: the setting's feedback e-mail leaves with the closure or not at all.
            var raised = history.Concat(decision.Events).OfType<RequestRaised>().First();
            await outbox.PublishAsync(new Feedback.AskSettingForFeedback(requestId, raised.SettingUrn, raised.Reference ?? requestId.ToString()[..8].ToUpperInvariant()), new Wolverine.DeliveryOptions { TenantId = caller.Tenant }).ConfigureAwait(false);
        }

        try
        {
            await session.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception conflict) when (AreaSessions.IsConflict(conflict))
        {
            return new CommandResult.Stale(version);
        }

        var all = history.Concat(decision.Events).ToList();
        return new CommandResult.Done(RequestViews.Build(requestId, version + decision.Events.Count, all));
    }

    /// <summary>Counts each command by outcome (done, refused, stale, not found); no personal data in tags.</summary>
    private static CommandResult Record(string command, CommandResult result)
    {
        var outcome = result switch
        {
            CommandResult.Done => "done",
            CommandResult.Refused => "refused",
            CommandResult.Stale => "stale",
            _ => "not-found",
        };
        System.Diagnostics.Activity.Current?.SetTag("eah.command.outcome", outcome);
        CommandCount.Add(1, new KeyValuePair<string, object?>("command", command), new KeyValuePair<string, object?>("outcome", outcome));
        return result;
    }

    private static readonly System.Diagnostics.Metrics.Counter<long> CommandCount =
        Telemetry.Meter.CreateCounter<long>("eah.requests.commands", description: "Request commands handled, by command and outcome.");
}

/// <summary>Who may see a request: the whole area's coordinators, the raising setting's SENCO, and allocated practitioners.</summary>
public static class RequestScope
{
    public static bool CanSee(Caller caller, RequestState state) => caller.Role switch
    {
        Roles.Coordinator => true,
        Roles.Senco => caller.SettingUrns.Contains(state.SettingUrn, StringComparer.Ordinal),
        Roles.Practitioner => caller.PractitionerId is { } me && state.Practitioners.Contains(me, StringComparer.Ordinal),
        _ => false,
    };

    /// <summary>A request's events, or null when there is no such request or the caller may not see it: the API's reads and the pages' share this.</summary>
    public static async Task<IReadOnlyList<JasperFx.Events.IEvent>?> ReadVisibleAsync(IDocumentStore store, Caller caller, Guid id, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession(caller.Tenant);
        var events = await session.Events.FetchStreamAsync(id, token: cancellationToken).ConfigureAwait(false);
        return events.Count > 0 && CanSee(caller, RequestDecider.Fold(events.Select(e => e.Data))) ? events : null;
    }
}
