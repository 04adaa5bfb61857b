using ExpertsAtHand.Domain.Practitioners;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Domain.Settings;
using ExpertsAtHand.Service.EventLog;
using ExpertsAtHand.Service.Features.Allocations;
using ExpertsAtHand.Service.Features.Practitioners;
using ExpertsAtHand.Service.Features.Requests;
using ExpertsAtHand.Service.Features.Settings;
using Npgsql;

namespace ExpertsAtHand.Service.Features.Demo;

/// <summary>
/// A fictional local area, "Northmoor", seeded on first start so every endpoint has something to
/// show: settings in five localities and every phase, practitioners across providers, and a term of
/// requests in every state — all made through the same decisions real commands go through.
/// </summary>
public static class DemoArea
{
    public const string Tenant = "demo";
    private static readonly string[] Localities = ["Northmoor Town", "Riverside", "Eastfields", "Highmoor", "Westbrook"];

    /// <summary>Seeds the demo area unless it already has settings. Returns whether it seeded.</summary>
    public static async Task<bool> SeedIfEmptyAsync(IServiceProvider services, TimeProvider clock, CancellationToken cancellationToken)
    {
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        var rules = services.GetRequiredService<RequestRulesCatalog>();
        var store = services.GetRequiredService<Marten.IDocumentStore>();
        await using (var exists = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM rm_settings WHERE tenant_id = $1)"))
        {
            exists.Parameters.Add(new NpgsqlParameter { Value = Tenant });
            if ((bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                return false;
            }
        }

        var random = new Random(20260901); // the same area on every machine
        var now = clock.GetUtcNow();
        var area = rules.For(Tenant);
        var termStart = area.StartOf(area.LocalDate(now).AddDays(-84)); // midnight, so the story keeps office hours

        // Every event is recorded when it happened in the story, in the order it happened across all
        // streams, so an as-of answer for any day of the term shows the area as it stood that day.
        var storyClock = new StoryClock(termStart);
        var story = new Story(services, services.GetRequiredService<RequestReferences>(), area, new AllocationPlanner(dataSource, rules, services.GetRequiredService<EntitlementCatalog>(), storyClock), storyClock, now);
        var registeredAt = area.StartOf(area.LocalDate(termStart).AddDays(-1)).AddHours(9);
        var settings = Settings(random);
        var practitioners = Practitioners();
        story.At(registeredAt, async () =>
        {
            foreach (var (urn, details) in settings)
            {
                await SettingEndpoints.RegisterAsync(store, Tenant, "system:demo", urn, details, registeredAt, null, cancellationToken).ConfigureAwait(false);
            }

            foreach (var (id, details) in practitioners)
            {
                await PractitionerEndpoints.RegisterAsync(store, Tenant, "system:demo", id, details, registeredAt, null, cancellationToken).ConfigureAwait(false);
            }
        });

        Requests(story, settings, practitioners, random, now, termStart, area);
        Clinics(story, area, settings, now);
        await story.PlayAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    private static List<(string Urn, SettingDetails Details)> Settings(Random random)
    {
        var plan = new (Phase Phase, int Count, int MinRoll, int MaxRoll, string Kind)[]
        {
            (Phase.EarlyYears, 38, 20, 90, "Nursery"),
            (Phase.Primary, 72, 90, 630, "Primary School"),
            (Phase.Secondary, 22, 600, 1_650, "Academy"),
            (Phase.AllThrough, 4, 900, 1_900, "All-through School"),
            (Phase.FurtherEducation, 8, 900, 4_500, "College"),
            (Phase.AlternativeProvision, 6, 15, 90, "Learning Centre"),
        };
        string[] places = ["Ashby", "Bramley", "Calder", "Denholme", "Elmfield", "Fernhill", "Garside", "Hollins", "Ingleby", "Kirkstall", "Lowfield", "Marsden", "Netherton", "Oakworth", "Pellon", "Quarry Hill", "Rastrick", "Shelf", "Thornton", "Upperthorpe", "Wyke", "Yeadon"];
        var settings = new List<(string, SettingDetails)>();
        var urn = 990_001;
        foreach (var (phase, count, minRoll, maxRoll, kind) in plan)
        {
            for (var i = 0; i < count; i++)
            {
                var locality = Localities[i % Localities.Length];
                // Two colleges are out of area: local young people travel to them.
                var inArea = !(phase == Phase.FurtherEducation && i >= 6);
                var deprivation = locality is "Riverside" or "Eastfields" ? 1.8 : 1.0;
                var roll = random.Next(minRoll, maxRoll);
                var fsm = Math.Round((decimal)Math.Min(65, random.Next(4, 30) * deprivation), 1);
                var senSupport = Math.Round((decimal)(random.Next(60, 200) / 10.0), 1);
                var ehcp = Math.Round((decimal)(phase == Phase.AlternativeProvision ? random.Next(80, 250) / 10.0 : random.Next(5, 45) / 10.0), 1);
                var name = $"{places[(i + (int)phase * 7) % places.Length]} {(i >= places.Length ? "St Anne's " : string.Empty)}{kind}";
                settings.Add((urn.ToString(System.Globalization.CultureInfo.InvariantCulture), new SettingDetails(name, phase, inArea ? locality : "Out of area", inArea, roll, fsm, senSupport, ehcp, $"NM{1 + (i % 9)} {random.Next(1, 9)}AB", true)));
                urn++;
            }
        }

        return settings;
    }

    private static List<(string Id, PractitionerDetails Details)> Practitioners()
    {
        var plan = new (string Prefix, Discipline Discipline, ProviderOrganisation Provider, int Count, decimal Hours)[]
        {
            ("ep", Discipline.EducationalPsychology, ProviderOrganisation.LocalAuthorityTeam, 8, 30),
            ("salt", Discipline.SpeechAndLanguageTherapy, ProviderOrganisation.NhsTrust, 6, 30),
            ("ot", Discipline.OccupationalTherapy, ProviderOrganisation.NhsTrust, 5, 22.5m),
            ("st", Discipline.SpecialistTeaching, ProviderOrganisation.LocalAuthorityTeam, 3, 30),
            ("mhp", Discipline.MentalHealth, ProviderOrganisation.NhsTrust, 2, 30),
            ("out", Discipline.SpecialSchoolOutreach, ProviderOrganisation.SpecialSchoolOutreach, 1, 15),
        };
        var practitioners = new List<(string, PractitionerDetails)>();
        foreach (var (prefix, discipline, provider, count, hours) in plan)
        {
            for (var i = 1; i <= count; i++)
            {
                var localities = new[] { Localities[(i - 1) % Localities.Length], Localities[i % Localities.Length] };
                practitioners.Add(($"{prefix}-{i}", new PractitionerDetails($"{discipline} practitioner {i}", discipline, provider, localities, hours, true)));
            }
        }

        return practitioners;
    }

    private static void Requests(Story story, List<(string Urn, SettingDetails Details)> settings, List<(string Id, PractitionerDetails Details)> practitioners, Random random, DateTimeOffset now, DateTimeOffset termStart, RequestRules rules)
    {
        // A quarter of settings ask three times as often: the pattern equitable allocation must resist.
        var eager = settings.Where((_, i) => i % 4 == 0).ToList();
        string[] outcomes = ["Closed", "Closed", "Closed", "Closed", "InProgress", "InProgress", "InProgress", "Allocated", "Allocated", "AwaitingAllocation", "AwaitingTriage", "AwaitingTriage", "AwaitingInformation", "Routed", "Declined", "Withdrawn", "Reopened"];
        for (var n = 0; n < 140; n++)
        {
            var setting = random.NextDouble() < 0.45 ? eager[random.Next(eager.Count)] : settings[random.Next(settings.Count)];
            var target = outcomes[n % outcomes.Length];
            // Early in term for requests that have gone far; recent for those still waiting.
            var raisedAt = target is "AwaitingTriage" or "AwaitingInformation"
                ? now.AddDays(-random.Next(1, 9)).AddHours(-random.Next(0, 6))
                : termStart.AddDays(random.Next(0, 50)).AddHours(random.Next(8, 16));
            var discipline = (Discipline)random.Next(0, 4);
            var level = (RequestLevel)random.Next(0, 3);
            var child = level == RequestLevel.Individual
                ? new ChildDetails($"D{n:000}-{random.Next(10, 99)}", YearGroup(setting.Details.Phase, random), (SenStatus)random.Next(0, 3), true)
                : null;
            var commands = new List<RequestCommand>
            {
                new RaiseRequest(Guid.CreateVersion7(raisedAt), setting.Urn, level, [discipline], [(AreaOfNeed)random.Next(0, 4)], NeedsFor(discipline), "Assess, plan, do, review over two cycles with in-class adjustments.", child, random.NextDouble() < 0.15 ? Priority.Urgent : Priority.Routine, "senco:demo", raisedAt),
            };
            var at = raisedAt.AddDays(random.Next(1, 6));
            var practitioner = practitioners.Where(p => p.Details.Discipline == discipline).ElementAt(random.Next(practitioners.Count(p => p.Details.Discipline == discipline))).Id;
            switch (target)
            {
                case "AwaitingInformation":
                    commands.Add(new RequestInformation("Please share the current support plan and the latest review notes.", "coordinator:demo", raisedAt.AddHours(20)));
                    break;
                case "Routed":
                    commands.Add(new RouteToPathway(SpecialistPathway.Neurodevelopmental, "Needs a clinical neurodevelopmental assessment.", "coordinator:demo", at));
                    break;
                case "Declined":
                    commands.Add(new DeclineRequest("The universal offer's whole-class strategies toolkit.", "Needs can be met through universal provision.", "coordinator:demo", at));
                    break;
                case "Withdrawn":
                    commands.Add(new WithdrawRequest("Needs met in school after the autumn review.", "senco:demo", at));
                    break;
                case "AwaitingTriage":
                    break;
                default:
                    var priority = random.NextDouble() < 0.2 ? Priority.High : Priority.Routine;
                    var support = level == RequestLevel.WholeSetting ? SupportType.Training : SupportType.Consultation;
                    commands.Add(new AcceptRequest(support, [discipline], priority, "Meets the threshold; graduated response evidenced.", "coordinator:demo", at));
                    if (target == "AwaitingAllocation")
                    {
                        break;
                    }

                    commands.Add(new AllocatePractitioner(practitioner, discipline, "coordinator:demo", at.AddDays(1), Guid.CreateVersion7(at.AddDays(1)), Domain.Allocation.AllocationHours.For(support)));
                    if (target == "Allocated")
                    {
                        break;
                    }

                    var contactOn = at.AddDays(random.Next(2, 18));
                    commands.Add(new RecordContact(Guid.CreateVersion7(contactOn), rules.LocalDate(contactOn), random.Next(4, 13) * 15, (ContactMode)random.Next(0, 3), [Attendee.Senco, Attendee.Teacher], practitioner, $"practitioner:{practitioner}", contactOn));
                    if (target == "InProgress")
                    {
                        break;
                    }

                    var closeAt = contactOn.AddDays(random.Next(7, 21));
                    commands.Add(new CloseRequest(random.NextDouble() < 0.6 ? ClosureOutcome.NeedsMetInSetting : random.NextDouble() < 0.5 ? ClosureOutcome.ContinuingWithUniversalSupport : ClosureOutcome.EhcNeedsAssessmentRequested, "Strategies in place; reviewed with the SENCO.", $"practitioner:{practitioner}", closeAt));
                    if (target == "Reopened")
                    {
                        commands.Add(new ReopenRequest("New concerns raised at the spring review.", "coordinator:demo", closeAt.AddDays(3)));
                    }
                    else
                    {
                        FeedbackAfter(story, commands, closeAt, level, random, now);
                    }

                    break;
            }

            story.Request([.. commands.Where(c => c.At <= now)]);
        }
    }

    /// <summary>
    /// Most settings answer within days of a closure, mostly satisfied; some families of individual
    /// requests are handed a code and about half of those answer.
    /// </summary>
    private static void FeedbackAfter(Story story, List<RequestCommand> commands, DateTimeOffset closedAt, RequestLevel level, Random random, DateTimeOffset now)
    {
        static Domain.Feedback.SatisfactionRating Rating(Random random) => random.NextDouble() switch
        {
            < 0.35 => Domain.Feedback.SatisfactionRating.VerySatisfied,
            < 0.75 => Domain.Feedback.SatisfactionRating.Satisfied,
            < 0.87 => Domain.Feedback.SatisfactionRating.NeitherSatisfiedNorDissatisfied,
            < 0.96 => Domain.Feedback.SatisfactionRating.Dissatisfied,
            _ => Domain.Feedback.SatisfactionRating.VeryDissatisfied,
        };
        var requestId = ((RaiseRequest)commands[0]).RequestId;
        var feedback = new List<Domain.Feedback.FeedbackCommand>();
        if (random.NextDouble() < 0.7)
        {
            var at = closedAt.AddDays(random.Next(1, 6));
            feedback.Add(new Domain.Feedback.GiveSettingFeedback(Guid.CreateVersion7(at), Rating(random), random.NextDouble() < 0.8, null, "senco:demo", at));
        }

        if (level == RequestLevel.Individual && random.NextDouble() < 0.5)
        {
            var invitedAt = closedAt.AddDays(2);
            var invitation = Guid.CreateVersion7(invitedAt);
            feedback.Add(new Domain.Feedback.InviteFamilyFeedback(invitation, invitedAt + Feedback.FeedbackCommandHandler.FamilyCodeLifetime, Feedback.FamilyFeedbackCodes.HashOfShort(Feedback.FamilyFeedbackCodes.NewShortCode()), "senco:demo", invitedAt));
            if (random.NextDouble() < 0.5)
            {
                var answeredAt = invitedAt.AddDays(random.Next(1, 10));
                feedback.Add(new Domain.Feedback.GiveFamilyFeedback(Guid.CreateVersion7(answeredAt), invitation, Rating(random), null, answeredAt));
            }
        }

        story.Feedback(requestId, [.. feedback.Where(f => f.At <= now)]);
    }

    /// <summary>A clinic three weeks ago with its attendance, and two to come with some places booked.</summary>
    private static void Clinics(Story story, RequestRules rules, List<(string Urn, SettingDetails Details)> settings, DateTimeOffset now)
    {
        var today = rules.LocalDate(now);
        var plans = new (string Title, Domain.Clinics.ClinicKind Kind, Discipline Discipline, string Practitioner, int DaysAhead, int Booked, bool Held)[]
        {
            ("Speech and language drop-in", Domain.Clinics.ClinicKind.ConsultationClinic, Discipline.SpeechAndLanguageTherapy, "salt-1", -21, 5, true),
            ("Emotion coaching for teaching assistants", Domain.Clinics.ClinicKind.Training, Discipline.EducationalPsychology, "ep-2", 9, 7, false),
            ("Sensory regulation clinic", Domain.Clinics.ClinicKind.ConsultationClinic, Discipline.OccupationalTherapy, "ot-1", 16, 2, false),
            // Held this week, its attendance not yet recorded: what a coordinator or its practitioner does next.
            ("Early language screening clinic", Domain.Clinics.ClinicKind.ConsultationClinic, Discipline.SpeechAndLanguageTherapy, "salt-1", -4, 3, false),
        };
        foreach (var (plan, index) in plans.Select((p, i) => (p, i)))
        {
            var id = Guid.CreateVersion7(now.AddMinutes(index));
            // Clinics fall on working days, as scheduling requires.
            var date = today.AddDays(plan.DaysAhead);
            while (!rules.Calendar.IsWorkingDay(date))
            {
                date = date.AddDays(1);
            }

            var scheduledOn = plan.Held ? date.AddDays(-14) : today.AddDays(-7);
            var at = Earlier(rules.StartOf(scheduledOn).AddHours(9), now);
            var bookers = settings.Where(s => s.Details.Locality == Localities[index] && s.Details.Phase != Phase.FurtherEducation).Take(plan.Booked).Select(s => s.Urn).ToList();
            var commands = new List<Domain.Clinics.ClinicCommand>
            {
                new Domain.Clinics.ScheduleClinic(id, plan.Kind, plan.Title, plan.Discipline, plan.Practitioner, date, 3m, 8, Localities[index], "coordinator:demo", at),
            };
            commands.AddRange(bookers.Select((urn, i) => (Domain.Clinics.ClinicCommand)new Domain.Clinics.BookPlace(urn, "senco:demo", Earlier(at.AddHours(1 + i), now))));
            if (plan.Held)
            {
                commands.Add(new Domain.Clinics.RecordAttendance([.. bookers.Take(4)], $"practitioner:{plan.Practitioner}", Earlier(rules.StartOf(date).AddHours(16), now)));
            }

            story.Clinic(id, commands);
        }
    }

    private static DateTimeOffset Earlier(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static int YearGroup(Phase phase, Random random) => phase switch
    {
        Phase.EarlyYears => random.Next(-2, 0),
        Phase.Primary => random.Next(0, 7),
        Phase.Secondary => random.Next(7, 12),
        Phase.FurtherEducation => random.Next(12, 15),
        _ => random.Next(3, 11),
    };

    private static string NeedsFor(Discipline discipline) => discipline switch
    {
        Discipline.EducationalPsychology => "Progress in reading and working memory well below peers despite two cycles of targeted support.",
        Discipline.SpeechAndLanguageTherapy => "Limited expressive language and difficulty following two-part instructions in class.",
        Discipline.OccupationalTherapy => "Handwriting, dressing for PE and sensory regulation are limiting access to learning.",
        _ => "Staff would value specialist advice on adapting teaching for pupils with these needs.",
    };

    /// <summary>A clock the story moves: each step's events are recorded at the step's time.</summary>
    private sealed class StoryClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>
    /// The term played in time order: each step runs with the story clock at its moment. Requests and
    /// clinics decide each command against their state as it then stands (a command their state
    /// refuses ends that thread of the story). An SLA check that fell due during the term is decided
    /// at its moment too; one still to come is scheduled on the durable queue, as a real command does.
    /// </summary>
    private sealed class Story(IServiceProvider services, RequestReferences references, RequestRules rules, AllocationPlanner planner, StoryClock clock, DateTimeOffset now)
    {
        private readonly Marten.IDocumentStore _store = services.GetRequiredService<Marten.IDocumentStore>();
        private readonly PriorityQueue<Func<Task>, (DateTimeOffset At, long Order)> _steps = new();
        private long _order;

        public void At(DateTimeOffset at, Func<Task> step) => _steps.Enqueue(step, (at, _order++));

        public void Request(IReadOnlyList<RequestCommand> commands)
        {
            var request = new RequestThread(((RaiseRequest)commands[0]).RequestId);
            foreach (var command in commands)
            {
                At(command.At, () => DecideAsync(request, command));
            }
        }

        /// <summary>Feedback on a request, each at its moment (a request the story left open refuses it, and is left as it is).</summary>
        public void Feedback(Guid requestId, IReadOnlyList<Domain.Feedback.FeedbackCommand> commands)
        {
            var handler = services.GetRequiredService<Features.Feedback.FeedbackCommandHandler>();
            foreach (var command in commands)
            {
                At(command.At, () => handler.HandleAsync(Tenant, command.Actor, requestId, _ => true, command, CancellationToken.None));
            }
        }

        public void Clinic(Guid id, IReadOnlyList<Domain.Clinics.ClinicCommand> commands)
        {
            var state = Domain.Clinics.ClinicState.Initial;
            long version = 0;
            foreach (var command in commands)
            {
                At(command.At, async () =>
                {
                    var decision = Domain.Clinics.ClinicDecider.Decide(command, state, rules.LocalDate(command.At));
                    if (decision.Events.Count == 0)
                    {
                        return;
                    }

                    await using var session = _store.OpenFor(Tenant, command.Actor);
                    session.AppendAfter(id, version, decision.Events);
                    await session.SaveChangesAsync().ConfigureAwait(false);
                    state = decision.Events.Aggregate(state, Domain.Clinics.ClinicDecider.Evolve);
                    version += decision.Events.Count;
                });
            }
        }

        public async Task PlayAsync(CancellationToken cancellationToken)
        {
            using var storyTime = EventClock.Use(clock); // each event is stamped with its moment in the story
            while (_steps.TryDequeue(out var step, out var when))
            {
                cancellationToken.ThrowIfCancellationRequested();
                clock.Now = when.At;
                await step().ConfigureAwait(false);
            }
        }

        /// <summary>
        /// The demo's coordinator follows the allocation engine as it stood that day, so every demo
        /// allocation carries the ranking a commissioner can read; where the engine would not allocate,
        /// they allocate the scripted practitioner and record why. Later steps are by whoever was allocated.
        /// </summary>
        private async Task<RequestCommand> AsTheCoordinatorWouldAsync(RequestThread request, RequestCommand command)
        {
            switch (command)
            {
                case AllocatePractitioner allocate when request.State.Status is RequestStatus.AwaitingAllocation:
                    var plan = await planner.PlanAsync(Tenant, CancellationToken.None).ConfigureAwait(false);
                    var suggested = plan.SuggestionFor(request.Id, allocate.Discipline);
                    if (suggested is not null)
                    {
                        request.Practitioner = suggested.PractitionerId;
                        return allocate with { PractitionerId = suggested.PractitionerId, Hours = suggested.Hours, Ranking = suggested.Ranking, OverrideReason = null };
                    }

                    request.Practitioner = allocate.PractitionerId;
                    return allocate with
                    {
                        Ranking = AllocationPlanner.InputsFor(plan, request.Id, allocate.Discipline, allocate.Hours),
                        OverrideReason = "The practitioner already works with this setting and had the time.",
                    };
                case RecordContact contact when request.Practitioner is { } practitioner:
                    return contact with { PractitionerId = practitioner, Actor = $"practitioner:{practitioner}" };
                case CloseRequest close when request.Practitioner is { } practitioner && close.Actor.StartsWith("practitioner:", StringComparison.Ordinal):
                    return close with { Actor = $"practitioner:{practitioner}" };
                default:
                    return command;
            }
        }

        private async Task DecideAsync(RequestThread request, RequestCommand command)
        {
            if (request.Ended)
            {
                return;
            }

            command = await AsTheCoordinatorWouldAsync(request, command).ConfigureAwait(false);
            if (command is RaiseRequest raise)
            {
                // Numbered and sealed as a real raise is: the demo's children's details are as protected as anyone's.
                request.Key = await services.GetRequiredService<Privacy.DetailKeys>().ForNewRequestAsync(Tenant, raise.SettingUrn, raise.Child, rules.LocalDate(raise.At), CancellationToken.None).ConfigureAwait(false);
                command = Privacy.RequestDetailSealing.Keyed(raise with { Reference = await references.NextAsync(Tenant, rules.LocalDate(raise.At).Year, CancellationToken.None).ConfigureAwait(false) }, request.Key);
            }

            var decision = RequestDecider.Decide(command, request.State, rules);
            if (decision.IsRejected)
            {
                request.Ended = true; // a date that does not fit (a contact before acceptance): keep what came before
                return;
            }

            if (decision.Events.Count == 0)
            {
                return; // a check that finds its clock stopped or paused
            }

            var before = request.State;
            var after = decision.Events.Aggregate(before, RequestDecider.Evolve);
            await using var session = _store.OpenFor(Tenant, command.Actor);
            session.AppendAfter(request.Id, request.Version, Privacy.RequestDetailSealing.Seal(decision.Events, request.Key!));
            using var scope = services.CreateScope();
            var outbox = scope.ServiceProvider.GetRequiredService<Wolverine.Marten.IMartenOutbox>();
            outbox.Enroll(session);
            foreach (var check in SlaScheduling.NewChecks(before, after, rules))
            {
                if (check.DueAt <= now)
                {
                    At(check.DueAt, () => DecideAsync(request, new CheckSla(check.Clock, check.Kind, "system:sla", check.DueAt)));
                }
                else
                {
                    await outbox.PublishAsync(new CheckRequestSla(request.Id, check.Clock, check.Kind), new Wolverine.DeliveryOptions { TenantId = Tenant, ScheduledTime = check.DueAt }).ConfigureAwait(false);
                }
            }

            await session.SaveChangesAsync().ConfigureAwait(false);
            request.State = after;
            request.Version += decision.Events.Count;
        }
    }

    private sealed class RequestThread(Guid id)
    {
        public Guid Id { get; } = id;

        /// <summary>Who was allocated in the story, when the engine chose someone other than the script.</summary>
        public string? Practitioner { get; set; }

        public RequestState State { get; set; } = RequestState.Initial;

        public long Version { get; set; }

        public bool Ended { get; set; }

        /// <summary>The key its details are sealed with, from its raise on.</summary>
        public Privacy.DataKey? Key { get; set; }
    }
}
