using ExpertsAtHand.Domain.Requests;

namespace ExpertsAtHand.Domain.Tests;

/// <summary>Drives a request through real decisions so each test starts from an honest state.</summary>
internal sealed class RequestBuilder
{
    public static readonly RequestRules Rules = RequestRules.EnglandDefault;
    private readonly List<object> _events = [];

    public RequestState State => RequestDecider.Fold(_events);
    public IReadOnlyList<object> Events => _events;

    /// <summary>Ten in the morning, London time, on <paramref name="date"/>.</summary>
    public static DateTimeOffset On(DateOnly date) => Rules.StartOf(date).AddHours(10);

    public static RaiseRequest Raise(DateOnly on, RequestLevel level = RequestLevel.WholeSetting, Priority urgency = Priority.Routine, ChildDetails? child = null) => new(
        Guid.NewGuid(),
        "100000",
        level,
        [Discipline.EducationalPsychology, Discipline.SpeechAndLanguageTherapy],
        [AreaOfNeed.CommunicationAndInteraction],
        "Several pupils in Year 1 are not yet using two-word phrases.",
        "Language screening, small-group talk sessions for a term, reviewed in July.",
        child,
        urgency,
        "senco:1",
        On(on));

    public RequestBuilder Apply(RequestCommand command)
    {
        var decision = RequestDecider.Decide(command, State, Rules);
        Assert.False(decision.IsRejected, decision.Rejection);
        _events.AddRange(decision.Events);
        return this;
    }

    public Decision Try(RequestCommand command) => RequestDecider.Decide(command, State, Rules);

    public static RequestBuilder RaisedOn(DateOnly on, Priority urgency = Priority.Routine) => new RequestBuilder().Apply(Raise(on, urgency: urgency));

    public RequestBuilder AcceptedOn(DateOnly on, Priority priority = Priority.High) =>
        Apply(new AcceptRequest(SupportType.Consultation, [Discipline.EducationalPsychology], priority, "Meets the threshold for consultation.", "coordinator:1", On(on)));

    public RequestBuilder AllocatedOn(DateOnly on, string practitioner = "ep-7") =>
        Apply(new AllocatePractitioner(practitioner, Discipline.EducationalPsychology, "coordinator:1", On(on)));

    public RequestBuilder ContactOn(DateOnly on, string practitioner = "ep-7") =>
        Apply(new RecordContact(Guid.NewGuid(), on, 90, ContactMode.InPerson, [Attendee.Senco, Attendee.Teacher], practitioner, practitioner, On(on)));
}

public sealed class RequestLifecycleTests
{
    private static readonly DateOnly Monday = new(2026, 10, 5);

    [Fact]
    public void A_request_goes_from_raised_to_closed_through_triage_allocation_and_contact()
    {
        var request = RequestBuilder.RaisedOn(Monday)
            .AcceptedOn(Monday.AddDays(1))
            .AllocatedOn(Monday.AddDays(2))
            .ContactOn(Monday.AddDays(3))
            .Apply(new CloseRequest(ClosureOutcome.NeedsMetInSetting, "Strategies in place.", "ep-7", RequestBuilder.On(Monday.AddDays(10))));

        Assert.Equal(RequestStatus.Closed, request.State.Status);
        Assert.Equal(ClosureOutcome.NeedsMetInSetting, request.State.Outcome);
        Assert.Equal(
            [typeof(RequestRaised), typeof(TriageAccepted), typeof(TriageClockStopped), typeof(PractitionerAllocated), typeof(ContactRecorded), typeof(FirstContactRecorded), typeof(RequestClosed)],
            request.Events.Select(e => e.GetType()));
        var triage = request.Events.OfType<TriageClockStopped>().Single();
        Assert.Equal(new TriageClockStopped(1, 5, true), triage);
        var first = request.Events.OfType<FirstContactRecorded>().Single();
        Assert.Equal(new FirstContactRecorded(Monday.AddDays(3), 2, 5, true), first);
    }

    [Fact]
    public void Triage_of_an_already_triaged_request_is_rejected()
    {
        var request = RequestBuilder.RaisedOn(Monday).AcceptedOn(Monday);

        var again = request.Try(new DeclineRequest("Universal offer.", "Below threshold.", "coordinator:1", RequestBuilder.On(Monday)));

        Assert.True(again.IsRejected);
        Assert.Contains("waiting for a practitioner", again.Rejection, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> IllegalTransitions()
    {
        var data = new TheoryData<string, string>();
        var states = new[] { "awaiting-triage", "awaiting-information", "awaiting-allocation", "allocated", "in-progress", "closed", "withdrawn" };
        var legal = new Dictionary<string, string[]>
        {
            ["request-information"] = ["awaiting-triage"],
            ["provide-information"] = ["awaiting-information"],
            ["accept"] = ["awaiting-triage"],
            ["route"] = ["awaiting-triage"],
            ["decline"] = ["awaiting-triage"],
            ["allocate"] = ["awaiting-allocation", "allocated", "in-progress"],
            ["record-contact"] = ["allocated", "in-progress"],
            ["close"] = ["awaiting-allocation", "allocated", "in-progress"],
            ["reopen"] = ["closed"],
            ["withdraw"] = ["awaiting-triage", "awaiting-information", "awaiting-allocation", "allocated", "in-progress"],
        };
        foreach (var (command, allowed) in legal)
        {
            foreach (var state in states.Except(allowed))
            {
                data.Add(command, state);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(IllegalTransitions))]
    public void Every_illegal_transition_is_refused_with_a_reason_and_no_events(string command, string state)
    {
        var request = InState(state);

        var decision = request.Try(Command(command, Monday.AddDays(8)));

        Assert.True(decision.IsRejected, $"{command} in {state} should be refused");
        Assert.False(string.IsNullOrWhiteSpace(decision.Rejection));
        Assert.Empty(decision.Events);
    }

    [Theory]
    [InlineData("request-information", "awaiting-triage")]
    [InlineData("provide-information", "awaiting-information")]
    [InlineData("accept", "awaiting-triage")]
    [InlineData("route", "awaiting-triage")]
    [InlineData("decline", "awaiting-triage")]
    [InlineData("allocate", "allocated")]
    [InlineData("record-contact", "in-progress")]
    [InlineData("close", "awaiting-allocation")]
    [InlineData("reopen", "closed")]
    [InlineData("withdraw", "in-progress")]
    public void Each_command_is_accepted_in_a_state_that_allows_it(string command, string state)
    {
        var decision = InState(state).Try(Command(command, Monday.AddDays(8)));

        Assert.False(decision.IsRejected, decision.Rejection);
        Assert.NotEmpty(decision.Events);
    }

    [Fact]
    public void The_triage_deadline_skips_a_bank_holiday_weekend()
    {
        // Received Thursday 27 August 2026: Friday 28, then Tue 1 to Thu 3 September (31st is a bank holiday).
        var request = RequestBuilder.RaisedOn(new DateOnly(2026, 8, 27));

        Assert.Equal(new DateOnly(2026, 9, 4), request.State.TriageDueBy);
    }

    [Fact]
    public void Waiting_for_information_pauses_the_triage_clock_and_moves_the_deadline()
    {
        var request = RequestBuilder.RaisedOn(Monday) // due Monday 12 October
            .Apply(new RequestInformation("Please share the latest SEN support plan.", "coordinator:1", RequestBuilder.On(Monday.AddDays(1))))
            .Apply(new ProvideInformation("Plan attached to the setting's record.", "senco:1", RequestBuilder.On(Monday.AddDays(8)))); // Tue to Tue: 5 working days paused

        Assert.Equal(new DateOnly(2026, 10, 19), request.State.TriageDueBy);

        request.AcceptedOn(new DateOnly(2026, 10, 16));
        Assert.Equal(new TriageClockStopped(4, 5, true), request.Events.OfType<TriageClockStopped>().Single());
    }

    [Fact]
    public void A_paused_clock_is_neither_at_risk_nor_breached()
    {
        var request = RequestBuilder.RaisedOn(Monday)
            .Apply(new RequestInformation("Which year group?", "coordinator:1", RequestBuilder.On(Monday)));

        var late = request.Try(new CheckSla(SlaClock.Triage, SlaCheckKind.Breach, "sla", RequestBuilder.On(Monday.AddDays(21))));

        Assert.False(late.IsRejected);
        Assert.Empty(late.Events);
    }

    [Fact]
    public void Triage_is_at_risk_at_eighty_percent_and_breached_the_day_after_it_is_due_once_each()
    {
        var request = RequestBuilder.RaisedOn(Monday); // 5 working days: at risk on day 4 (Friday), due Monday 12th

        Assert.Empty(request.Try(new CheckSla(SlaClock.Triage, SlaCheckKind.AtRisk, "sla", RequestBuilder.On(Monday.AddDays(3)))).Events);
        request.Apply(new CheckSla(SlaClock.Triage, SlaCheckKind.AtRisk, "sla", RequestBuilder.On(Monday.AddDays(4))));
        Assert.Equal(new DateOnly(2026, 10, 12), Assert.IsType<SlaAtRisk>(request.Events[^1]).DueBy);
        Assert.Empty(request.Try(new CheckSla(SlaClock.Triage, SlaCheckKind.AtRisk, "sla", RequestBuilder.On(Monday.AddDays(4)))).Events);

        Assert.Empty(request.Try(new CheckSla(SlaClock.Triage, SlaCheckKind.Breach, "sla", RequestBuilder.On(new DateOnly(2026, 10, 12)))).Events);
        request.Apply(new CheckSla(SlaClock.Triage, SlaCheckKind.Breach, "sla", RequestBuilder.On(new DateOnly(2026, 10, 13))));
        Assert.IsType<SlaBreached>(request.Events[^1]);

        request.AcceptedOn(new DateOnly(2026, 10, 14));
        Assert.Equal(new TriageClockStopped(7, 5, false), request.Events.OfType<TriageClockStopped>().Single());
    }

    [Fact]
    public void A_triaged_request_gets_no_triage_breach_and_the_checks_it_needs_are_scheduled()
    {
        var request = RequestBuilder.RaisedOn(Monday);
        var scheduled = RequestDecider.ScheduledChecks(request.State, RequestBuilder.Rules);
        Assert.Equal(
            [(SlaClock.Triage, SlaCheckKind.AtRisk, RequestBuilder.Rules.StartOf(new DateOnly(2026, 10, 9))), (SlaClock.Triage, SlaCheckKind.Breach, RequestBuilder.Rules.StartOf(new DateOnly(2026, 10, 13)))],
            scheduled);

        request.AcceptedOn(Monday, Priority.Urgent);
        Assert.Empty(request.Try(new CheckSla(SlaClock.Triage, SlaCheckKind.Breach, "sla", RequestBuilder.On(Monday.AddDays(20)))).Events);
        Assert.Equal(
            [SlaClock.FirstContact, SlaClock.FirstContact],
            RequestDecider.ScheduledChecks(request.State, RequestBuilder.Rules).Select(c => c.Clock));
    }

    [Fact]
    public void First_contact_after_the_standard_is_recorded_as_missed()
    {
        var request = RequestBuilder.RaisedOn(Monday).AcceptedOn(Monday, Priority.Urgent).AllocatedOn(Monday).ContactOn(Monday.AddDays(3));

        Assert.Equal(new FirstContactRecorded(Monday.AddDays(3), 3, 2, false), request.Events.OfType<FirstContactRecorded>().Single());
        request.ContactOn(Monday.AddDays(4));
        Assert.Single(request.Events.OfType<FirstContactRecorded>());
    }

    [Fact]
    public void Only_an_allocated_practitioner_records_contacts_and_never_in_the_future()
    {
        var request = RequestBuilder.RaisedOn(Monday).AcceptedOn(Monday).AllocatedOn(Monday);

        Assert.True(request.Try(new RecordContact(Guid.NewGuid(), Monday, 60, ContactMode.Video, [Attendee.Senco], "salt-2", "salt-2", RequestBuilder.On(Monday))).IsRejected);
        Assert.True(request.Try(new RecordContact(Guid.NewGuid(), Monday.AddDays(2), 60, ContactMode.Video, [Attendee.Senco], "ep-7", "ep-7", RequestBuilder.On(Monday))).IsRejected);
    }

    [Fact]
    public void An_individual_request_needs_parental_consent_and_others_hold_no_child()
    {
        var child = new ChildDetails("Y1-0042", 1, SenStatus.SenSupport, ParentalConsent: true);

        Assert.True(new RequestBuilder().Try(RequestBuilder.Raise(Monday, RequestLevel.Individual, child: child with { ParentalConsent = false })).IsRejected);
        Assert.True(new RequestBuilder().Try(RequestBuilder.Raise(Monday, RequestLevel.Individual)).IsRejected);
        Assert.True(new RequestBuilder().Try(RequestBuilder.Raise(Monday, RequestLevel.Group, child: child)).IsRejected);
        Assert.False(new RequestBuilder().Try(RequestBuilder.Raise(Monday, RequestLevel.Individual, child: child)).IsRejected);
    }

    [Fact]
    public void Routing_and_declining_close_the_request_with_the_matching_outcome()
    {
        var routed = RequestBuilder.RaisedOn(Monday).Apply(new RouteToPathway(SpecialistPathway.Camhs, "Needs clinical assessment.", "coordinator:1", RequestBuilder.On(Monday)));
        var declined = RequestBuilder.RaisedOn(Monday).Apply(new DeclineRequest("Universal SEMH toolkit.", "Below threshold.", "coordinator:1", RequestBuilder.On(Monday)));

        Assert.Equal(ClosureOutcome.ReferredToSpecialistPathway, routed.State.Outcome);
        Assert.Equal(ClosureOutcome.NoFurtherAction, declined.State.Outcome);
    }

    [Fact]
    public void A_reopened_request_goes_back_to_triage_with_a_fresh_clock()
    {
        var request = RequestBuilder.RaisedOn(Monday).AcceptedOn(Monday).AllocatedOn(Monday)
            .Apply(new CloseRequest(ClosureOutcome.NeedsMetInSetting, "Done.", "ep-7", RequestBuilder.On(Monday.AddDays(1))))
            .Apply(new ReopenRequest("Needs have returned.", "coordinator:1", RequestBuilder.On(new DateOnly(2026, 11, 2))));

        Assert.Equal(RequestStatus.AwaitingTriage, request.State.Status);
        Assert.Equal(new DateOnly(2026, 11, 9), request.State.TriageDueBy);
        Assert.Empty(request.State.Practitioners);
    }

    private static RequestBuilder InState(string state) => state switch
    {
        "awaiting-triage" => RequestBuilder.RaisedOn(Monday),
        "awaiting-information" => RequestBuilder.RaisedOn(Monday).Apply(new RequestInformation("?", "coordinator:1", RequestBuilder.On(Monday))),
        "awaiting-allocation" => RequestBuilder.RaisedOn(Monday).AcceptedOn(Monday),
        "allocated" => RequestBuilder.RaisedOn(Monday).AcceptedOn(Monday).AllocatedOn(Monday),
        "in-progress" => RequestBuilder.RaisedOn(Monday).AcceptedOn(Monday).AllocatedOn(Monday).ContactOn(Monday),
        "closed" => RequestBuilder.RaisedOn(Monday).AcceptedOn(Monday).Apply(new CloseRequest(ClosureOutcome.NeedsMetInSetting, "Done.", "coordinator:1", RequestBuilder.On(Monday))),
        "withdrawn" => RequestBuilder.RaisedOn(Monday).Apply(new WithdrawRequest("No longer needed.", "senco:1", RequestBuilder.On(Monday))),
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    private static RequestCommand Command(string name, DateOnly on)
    {
        var at = RequestBuilder.On(on);
        return name switch
        {
            "request-information" => new RequestInformation("Which year group?", "coordinator:1", at),
            "provide-information" => new ProvideInformation("Year 1.", "senco:1", at),
            "accept" => new AcceptRequest(SupportType.Consultation, [Discipline.EducationalPsychology], Priority.High, "Meets threshold.", "coordinator:1", at),
            "route" => new RouteToPathway(SpecialistPathway.Camhs, "Clinical need.", "coordinator:1", at),
            "decline" => new DeclineRequest("Universal offer.", "Below threshold.", "coordinator:1", at),
            "allocate" => new AllocatePractitioner("ep-9", Discipline.EducationalPsychology, "coordinator:1", at),
            "record-contact" => new RecordContact(Guid.NewGuid(), on, 60, ContactMode.InPerson, [Attendee.Senco], "ep-7", "ep-7", at),
            "close" => new CloseRequest(ClosureOutcome.ContinuingWithUniversalSupport, "Done.", "coordinator:1", at),
            "reopen" => new ReopenRequest("Needs returned.", "coordinator:1", at),
            "withdraw" => new WithdrawRequest("Resolved in school.", "senco:1", at),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
    }
}
