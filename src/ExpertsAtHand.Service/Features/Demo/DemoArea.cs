using ExpertsAtHand.Domain.Practitioners;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Domain.Settings;
using ExpertsAtHand.EventStore;
using ExpertsAtHand.Messaging;
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
    public static async Task<bool> SeedIfEmptyAsync(EventStore.EventStore store, MessageBus bus, NpgsqlDataSource dataSource, RequestRulesCatalog rules, TimeProvider clock, CancellationToken cancellationToken)
    {
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
        var settings = Settings(random);
        foreach (var (urn, details) in settings)
        {
            await SettingEndpoints.RegisterAsync(store, Tenant, "system:demo", urn, details, now, null, cancellationToken).ConfigureAwait(false);
        }

        var practitioners = Practitioners();
        foreach (var (id, details) in practitioners)
        {
            await PractitionerEndpoints.RegisterAsync(store, Tenant, "system:demo", id, details, now, null, cancellationToken).ConfigureAwait(false);
        }

        await RequestsAsync(store, bus, rules.For(Tenant), settings, practitioners, random, now, cancellationToken).ConfigureAwait(false);
        await ClinicsAsync(store, rules.For(Tenant), settings, now, cancellationToken).ConfigureAwait(false);
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

    private static async Task RequestsAsync(EventStore.EventStore store, MessageBus bus, RequestRules rules, List<(string Urn, SettingDetails Details)> settings, List<(string Id, PractitionerDetails Details)> practitioners, Random random, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // A quarter of settings ask three times as often: the pattern equitable allocation must resist.
        var eager = settings.Where((_, i) => i % 4 == 0).ToList();
        var termStart = now.AddDays(-84);
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

                    break;
            }

            await AppendAsync(store, bus, rules, commands.Where(c => c.At <= now).ToList(), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A clinic three weeks ago with its attendance, and two to come with some places booked.</summary>
    private static async Task ClinicsAsync(EventStore.EventStore store, RequestRules rules, List<(string Urn, SettingDetails Details)> settings, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var today = rules.LocalDate(now);
        var plans = new (string Title, Domain.Clinics.ClinicKind Kind, Discipline Discipline, string Practitioner, int DaysAhead, int Booked, bool Held)[]
        {
            ("Speech and language drop-in", Domain.Clinics.ClinicKind.ConsultationClinic, Discipline.SpeechAndLanguageTherapy, "salt-1", -21, 5, true),
            ("Emotion coaching for teaching assistants", Domain.Clinics.ClinicKind.Training, Discipline.EducationalPsychology, "ep-2", 9, 7, false),
            ("Sensory regulation clinic", Domain.Clinics.ClinicKind.ConsultationClinic, Discipline.OccupationalTherapy, "ot-1", 16, 2, false),
        };
        foreach (var (plan, index) in plans.Select((p, i) => (p, i)))
        {
            var id = Guid.CreateVersion7(now.AddMinutes(index));
            var date = today.AddDays(plan.DaysAhead);
            var scheduledOn = plan.Held ? date.AddDays(-14) : today;
            var at = rules.StartOf(scheduledOn).AddHours(9);
            var bookers = settings.Where(s => s.Details.Locality == Localities[index] && s.Details.Phase != Phase.FurtherEducation).Take(plan.Booked).Select(s => s.Urn).ToList();
            var commands = new List<(Domain.Clinics.ClinicCommand Command, DateOnly Today)>
            {
                (new Domain.Clinics.ScheduleClinic(id, plan.Kind, plan.Title, plan.Discipline, plan.Practitioner, date, 3m, 8, Localities[index], "coordinator:demo", at), scheduledOn),
            };
            commands.AddRange(bookers.Select(urn => ((Domain.Clinics.ClinicCommand)new Domain.Clinics.BookPlace(urn, "senco:demo", at), scheduledOn)));
            if (plan.Held)
            {
                commands.Add((new Domain.Clinics.RecordAttendance([.. bookers.Take(4)], $"practitioner:{plan.Practitioner}", rules.StartOf(date).AddHours(16)), date));
            }

            var state = Domain.Clinics.ClinicState.Initial;
            var events = new List<object>();
            foreach (var (command, day) in commands)
            {
                var decision = Domain.Clinics.ClinicDecider.Decide(command, state, day);
                events.AddRange(decision.Events);
                state = decision.Events.Aggregate(state, Domain.Clinics.ClinicDecider.Evolve);
            }

            await using var session = store.OpenSession(Tenant, new EventMetadata(null, null, "system:demo"));
            session.Append(Domain.Clinics.ClinicDecider.StreamType, id, 0, [.. events]);
            await session.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task AppendAsync(EventStore.EventStore store, MessageBus bus, RequestRules rules, List<RequestCommand> commands, CancellationToken cancellationToken)
    {
        var raise = (RaiseRequest)commands[0];
        var state = RequestState.Initial;
        var events = new List<object>();
        foreach (var command in commands)
        {
            var decision = RequestDecider.Decide(command, state, rules);
            if (decision.IsRejected)
            {
                break; // a date that does not fit (a contact before acceptance): keep what came before
            }

            events.AddRange(decision.Events);
            state = decision.Events.Aggregate(state, RequestDecider.Evolve);
        }

        await using var session = store.OpenSession(Tenant, new EventMetadata(null, null, "system:demo"));
        session.Append(RequestEventTypes.StreamType, raise.RequestId, 0, [.. events]);
        SlaScheduling.ScheduleNewChecks(bus.OutboxFor(session), raise.RequestId, RequestState.Initial, state, rules);
        await session.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
    }

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
}
