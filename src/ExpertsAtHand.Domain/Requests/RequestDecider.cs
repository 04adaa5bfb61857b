namespace ExpertsAtHand.Domain.Requests;

/// <summary>The events a command produces, or why it was refused (the API's 409).</summary>
public sealed record Decision(IReadOnlyList<object> Events, string? Rejection)
{
    public bool IsRejected => Rejection is not null;

    public static Decision Of(params object[] events) => new(events, null);

    public static Decision Refuse(string reason) => new([], reason);
}

/// <summary>
/// The request lifecycle as two pure functions: which events a command produces in a given state,
/// and how each event changes the state. No I/O, no clock of its own.
/// </summary>
public static class RequestDecider
{
    public static Decision Decide(RequestCommand command, RequestState state, RequestRules rules)
    {
        if (command is RaiseRequest raise)
        {
            return state.Exists ? Decision.Refuse("This request has already been raised.") : Raise(raise, rules);
        }

        if (!state.Exists)
        {
            return Decision.Refuse("There is no such request.");
        }

        var today = rules.LocalDate(command.At);
        return command switch
        {
            RequestInformation ask => state.Status != RequestStatus.AwaitingTriage
                ? Refuse(state, "ask for more information")
                : Decision.Of(new InformationRequested(ask.Question, ask.Actor, ask.At, today)),

            ProvideInformation answer => state.Status != RequestStatus.AwaitingInformation
                ? Decision.Refuse("No information has been asked for on this request.")
                : ProvideInformation(answer, state, rules, today),

            AcceptRequest accept => state.Status != RequestStatus.AwaitingTriage
                ? Refuse(state, "triage it")
                : Accept(accept, state, rules, today),

            RouteToPathway route => state.Status != RequestStatus.AwaitingTriage
                ? Refuse(state, "triage it")
                : Decision.Of(
                    new RoutedToPathway(route.Pathway, route.Rationale, route.Actor, route.At),
                    TriageClock(state, rules, today),
                    new RequestClosed(ClosureOutcome.ReferredToSpecialistPathway, route.Rationale, route.Actor, route.At)),

            DeclineRequest decline => state.Status != RequestStatus.AwaitingTriage
                ? Refuse(state, "triage it")
                : Decision.Of(
                    new TriageDeclined(decline.Signposting, decline.Rationale, decline.Actor, decline.At),
                    TriageClock(state, rules, today),
                    new RequestClosed(ClosureOutcome.NoFurtherAction, decline.Signposting, decline.Actor, decline.At)),

            AllocatePractitioner allocate => Allocate(allocate, state),

            RecordContact contact => RecordContact(contact, state, rules, today),

            CloseRequest close => Close(close, state),

            ReopenRequest when state.DetailsErased => Decision.Refuse("This request's details were erased, so it cannot be reopened: raise a new request."),

            ReopenRequest reopen => state.Status != RequestStatus.Closed
                ? Decision.Refuse("Only a closed request can be reopened.")
                : Decision.Of(new RequestReopened(reopen.Reason, reopen.Actor, reopen.At, today, rules.Calendar.AddWorkingDays(today, rules.Standards.For(state.Urgency).TriageWorkingDays))),

            WithdrawRequest withdraw => !state.IsOpen
                ? Refuse(state, "withdraw it")
                : Decision.Of(new RequestWithdrawn(withdraw.Reason, withdraw.Actor, withdraw.At)),

            CheckSla check => Decision.Of([.. CheckSla(check, state, rules, today)]),

            EraseRequestDetails when state.DetailsErased => Decision.Refuse("This request's details have already been erased."),

            EraseRequestDetails when state.IsOpen => Refuse(state, "erase its details (close or withdraw it first)"),

            EraseRequestDetails erase => Decision.Of(new RequestDetailsErased(erase.Grounds, erase.Actor, erase.At)),

            _ => throw new ArgumentOutOfRangeException(nameof(command), command.GetType().Name, "Unknown request command."),
        };
    }

    public static RequestState Evolve(RequestState state, object @event) => @event switch
    {
        RequestRaised e => state with
        {
            Exists = true,
            Id = e.RequestId,
            SettingUrn = e.SettingUrn,
            Level = e.Level,
            Status = RequestStatus.AwaitingTriage,
            Urgency = e.Urgency,
            Disciplines = e.Disciplines,
            ReceivedOn = e.ReceivedOn,
            TriageDueBy = e.TriageDueBy,
        },
        InformationRequested e => state with { Status = RequestStatus.AwaitingInformation, PausedOn = e.PausedOn },
        InformationProvided e => state with
        {
            Status = RequestStatus.AwaitingTriage,
            PausedOn = null,
            PausedWorkingDays = state.PausedWorkingDays + e.PausedWorkingDays,
            TriageDueBy = e.TriageDueBy,
        },
        TriageAccepted e => state with
        {
            Status = RequestStatus.AwaitingAllocation,
            Priority = e.Priority,
            Disciplines = e.Disciplines,
            AcceptedOn = e.AcceptedOn,
            FirstContactDueBy = e.FirstContactDueBy,
        },
        PractitionerAllocated e => state with
        {
            Status = state.Status == RequestStatus.AwaitingAllocation ? RequestStatus.Allocated : state.Status,
            Practitioners = state.Practitioners.Contains(e.PractitionerId) ? state.Practitioners : [.. state.Practitioners, e.PractitionerId],
        },
        FirstContactRecorded => state with { FirstContactMade = true, Status = RequestStatus.InProgress },
        SlaAtRisk e => state with { SlaRecorded = new HashSet<(SlaClock, SlaCheckKind)>(state.SlaRecorded) { (e.Clock, SlaCheckKind.AtRisk) } },
        SlaBreached e => state with { SlaRecorded = new HashSet<(SlaClock, SlaCheckKind)>(state.SlaRecorded) { (e.Clock, SlaCheckKind.Breach) } },
        RequestClosed e => state with { Status = RequestStatus.Closed, Outcome = e.Outcome },
        RequestWithdrawn => state with { Status = RequestStatus.Withdrawn, Outcome = ClosureOutcome.Withdrawn },
        RequestDetailsErased => state with { DetailsErased = true },
        RequestReopened e => state with
        {
            Status = RequestStatus.AwaitingTriage,
            Outcome = null,
            Priority = null,
            ReceivedOn = e.ReceivedOn,
            TriageDueBy = e.TriageDueBy,
            PausedWorkingDays = 0,
            AcceptedOn = null,
            FirstContactDueBy = null,
            FirstContactMade = false,
            Practitioners = [],
            SlaRecorded = new HashSet<(SlaClock, SlaCheckKind)>(),
        },
        _ => state, // routing, declining, contacts and clock records change nothing decisions read
    };

    public static RequestState Fold(IEnumerable<object> events) => events.Aggregate(RequestState.Initial, Evolve);

    /// <summary>When each running clock should next be looked at: at-risk on its day, breach the day after it is due.</summary>
    public static IReadOnlyList<(SlaClock Clock, SlaCheckKind Kind, DateTimeOffset DueAt)> ScheduledChecks(RequestState state, RequestRules rules)
    {
        var checks = new List<(SlaClock, SlaCheckKind, DateTimeOffset)>();
        if (state.TriageClockRunning)
        {
            var limit = rules.Standards.For(state.Urgency).TriageWorkingDays;
            checks.Add((SlaClock.Triage, SlaCheckKind.AtRisk, rules.StartOf(TriageAtRiskOn(state, rules, limit))));
            checks.Add((SlaClock.Triage, SlaCheckKind.Breach, rules.StartOf(state.TriageDueBy.AddDays(1))));
        }

        if (state.FirstContactClockRunning && state is { AcceptedOn: { } accepted, FirstContactDueBy: { } due, Priority: { } priority })
        {
            var atRisk = rules.Calendar.AddWorkingDays(accepted, rules.Standards.AtRiskAfter(rules.Standards.For(priority).FirstContactWorkingDays));
            checks.Add((SlaClock.FirstContact, SlaCheckKind.AtRisk, rules.StartOf(atRisk)));
            checks.Add((SlaClock.FirstContact, SlaCheckKind.Breach, rules.StartOf(due.AddDays(1))));
        }

        return checks;
    }

    private static Decision Raise(RaiseRequest raise, RequestRules rules)
    {
        if (raise.Level == RequestLevel.Individual && raise.Child is not { ParentalConsent: true })
        {
            return Decision.Refuse("An individual request needs the child's details and recorded parental consent.");
        }

        if (raise.Level != RequestLevel.Individual && raise.Child is not null)
        {
            return Decision.Refuse("Only an individual request may hold a child's details.");
        }

        var receivedOn = rules.LocalDate(raise.At);
        var due = rules.Calendar.AddWorkingDays(receivedOn, rules.Standards.For(raise.Urgency).TriageWorkingDays);
        return Decision.Of(new RequestRaised(
            raise.RequestId,
            raise.SettingUrn,
            raise.Level,
            raise.Disciplines,
            raise.AreasOfNeed,
            raise.NeedsSummary,
            raise.ActionTaken,
            raise.Child,
            raise.Urgency,
            raise.Actor,
            raise.At,
            receivedOn,
            due,
            raise.Reference,
            raise.DetailsKey,
            raise.ChildKey));
    }

    private static Decision ProvideInformation(ProvideInformation answer, RequestState state, RequestRules rules, DateOnly today)
    {
        var paused = rules.Calendar.WorkingDaysBetween(state.PausedOn ?? today, today);
        var limit = rules.Standards.For(state.Urgency).TriageWorkingDays;
        var due = rules.Calendar.AddWorkingDays(state.ReceivedOn, limit + state.PausedWorkingDays + paused);
        return Decision.Of(new InformationProvided(answer.Answer, answer.Actor, answer.At, paused, due));
    }

    private static Decision Accept(AcceptRequest accept, RequestState state, RequestRules rules, DateOnly today) => Decision.Of(
        new TriageAccepted(
            accept.SupportType,
            accept.Disciplines,
            accept.Priority,
            accept.Rationale,
            accept.Actor,
            accept.At,
            today,
            rules.Calendar.AddWorkingDays(today, rules.Standards.For(accept.Priority).FirstContactWorkingDays)),
        TriageClock(state, rules, today));

    private static TriageClockStopped TriageClock(RequestState state, RequestRules rules, DateOnly today)
    {
        var used = Math.Max(0, rules.Calendar.WorkingDaysBetween(state.ReceivedOn, today) - state.PausedWorkingDays);
        var limit = rules.Standards.For(state.Urgency).TriageWorkingDays;
        return new TriageClockStopped(used, limit, used <= limit);
    }

    private static Decision Allocate(AllocatePractitioner allocate, RequestState state)
    {
        if (state.Status is not (RequestStatus.AwaitingAllocation or RequestStatus.Allocated or RequestStatus.InProgress))
        {
            return Refuse(state, "allocate a practitioner");
        }

        if (!state.Disciplines.Contains(allocate.Discipline))
        {
            return Decision.Refuse($"The request was accepted for {string.Join(", ", state.Disciplines)}, not {allocate.Discipline}.");
        }

        return state.Practitioners.Contains(allocate.PractitionerId)
            ? Decision.Refuse("That practitioner is already allocated to this request.")
            : Decision.Of(new PractitionerAllocated(allocate.PractitionerId, allocate.Discipline, allocate.Actor, allocate.At, allocate.AllocationId, allocate.Hours, allocate.Ranking, allocate.OverrideReason));
    }

    private static Decision RecordContact(RecordContact contact, RequestState state, RequestRules rules, DateOnly today)
    {
        if (state.Status is not (RequestStatus.Allocated or RequestStatus.InProgress))
        {
            return Refuse(state, "record a contact");
        }

        if (!state.Practitioners.Contains(contact.PractitionerId))
        {
            return Decision.Refuse("Only a practitioner allocated to this request can record a contact on it.");
        }

        if (contact.Date > today)
        {
            return Decision.Refuse("A contact cannot be recorded before it has happened.");
        }

        if (state.AcceptedOn is { } accepted && contact.Date < accepted)
        {
            return Decision.Refuse("The contact date is before the request was accepted.");
        }

        var recorded = new ContactRecorded(contact.ContactId, contact.Date, contact.DurationMinutes, contact.Mode, contact.Attended, contact.PractitionerId, contact.At);
        if (state.FirstContactMade || state is not { AcceptedOn: { } acceptedOn, Priority: { } priority })
        {
            return Decision.Of(recorded);
        }

        var used = rules.Calendar.WorkingDaysBetween(acceptedOn, contact.Date);
        var limit = rules.Standards.For(priority).FirstContactWorkingDays;
        return Decision.Of(recorded, new FirstContactRecorded(contact.Date, used, limit, used <= limit));
    }

    private static Decision Close(CloseRequest close, RequestState state)
    {
        if (close.Outcome == ClosureOutcome.Withdrawn)
        {
            return Decision.Refuse("A request is withdrawn by its setting, not closed as withdrawn.");
        }

        return state.Status is RequestStatus.AwaitingAllocation or RequestStatus.Allocated or RequestStatus.InProgress
            ? Decision.Of(new RequestClosed(close.Outcome, close.Note, close.Actor, close.At))
            : Refuse(state, "close it (only an accepted request is closed with an outcome)");
    }

    private static IEnumerable<object> CheckSla(CheckSla check, RequestState state, RequestRules rules, DateOnly today)
    {
        if (state.SlaRecorded.Contains((check.Clock, check.Kind)))
        {
            yield break; // already recorded: a repeated check is a no-op
        }

        DateOnly? atRiskOn = null;
        DateOnly? dueBy = null;
        if (check.Clock == SlaClock.Triage && state.TriageClockRunning)
        {
            atRiskOn = TriageAtRiskOn(state, rules, rules.Standards.For(state.Urgency).TriageWorkingDays);
            dueBy = state.TriageDueBy;
        }
        else if (check.Clock == SlaClock.FirstContact && state.FirstContactClockRunning && state is { AcceptedOn: { } accepted, Priority: { } priority })
        {
            atRiskOn = rules.Calendar.AddWorkingDays(accepted, rules.Standards.AtRiskAfter(rules.Standards.For(priority).FirstContactWorkingDays));
            dueBy = state.FirstContactDueBy;
        }

        if (dueBy is not { } due || atRiskOn is not { } risk)
        {
            yield break; // the clock has stopped or is paused: nothing to record
        }

        if (check.Kind == SlaCheckKind.AtRisk && today >= risk && today <= due)
        {
            yield return new SlaAtRisk(check.Clock, due, check.At);
        }
        else if (check.Kind == SlaCheckKind.Breach && today > due)
        {
            yield return new SlaBreached(check.Clock, due, check.At);
        }
    }

    private static DateOnly TriageAtRiskOn(RequestState state, RequestRules rules, int limit) =>
        rules.Calendar.AddWorkingDays(state.ReceivedOn, rules.Standards.AtRiskAfter(limit) + state.PausedWorkingDays);

    private static Decision Refuse(RequestState state, string action) => Decision.Refuse(state.Status switch
    {
        RequestStatus.AwaitingTriage => $"The request is waiting for triage, so you cannot {action}.",
        RequestStatus.AwaitingInformation => $"The request is waiting for information from the setting, so you cannot {action}.",
        RequestStatus.AwaitingAllocation => $"The request has been accepted and is waiting for a practitioner, so you cannot {action}.",
        RequestStatus.Allocated => $"The request has a practitioner allocated, so you cannot {action}.",
        RequestStatus.InProgress => $"Support is under way on this request, so you cannot {action}.",
        RequestStatus.Closed => $"The request is closed, so you cannot {action}.",
        RequestStatus.Withdrawn => $"The request was withdrawn, so you cannot {action}.",
        _ => $"You cannot {action} now.",
    });
}
