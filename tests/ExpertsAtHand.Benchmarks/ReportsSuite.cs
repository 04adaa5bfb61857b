using System.Diagnostics;
using System.Globalization;
using ExpertsAtHand.Domain.Practitioners;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Domain.Settings;
using ExpertsAtHand.Infrastructure;
using ExpertsAtHand.Service.EventLog;
using ExpertsAtHand.Service.Features.Allocations;
using ExpertsAtHand.Service.Features.Reports;
using ExpertsAtHand.Service.Features.Requests;
using ExpertsAtHand.Service.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;

namespace ExpertsAtHand.Benchmarks;

/// <summary>
/// A national-scale log (25,000 settings and 2,000,000 requests over 150 local areas, about 12
/// million events, written with COPY), rebuilt through the four report projections by the daemon,
/// then each report asked for a quarter of the largest area, timed by its median.
/// </summary>
internal static class ReportsSuite
{
    private const int Areas = 150;
    private const int TimedRuns = 15;
    private static readonly DateOnly FirstDay = new(2025, 1, 1);
    private static readonly DateOnly LastDay = new(2026, 10, 30);

    public static async Task<string> RunAsync(bool quick)
    {
        var scale = quick ? 10 : 1;
        var settingCount = 25_000 / scale;
        var requestCount = 2_000_000 / scale;

        await using var cluster = await BenchmarkCluster.StartAsync();
        // The service itself on the benchmark's cluster: its Marten store, projections and report source.
        await using var app = ServiceHost.Build(ServiceHost.CreateBuilder(
            ["--Projections:RunDaemon=false", "--Messaging:RunWorkers=false", "--Logging:LogLevel:Default=Warning", "--urls=http://127.0.0.1:0", $"--Protection:MasterKeyFile={Path.Combine(Path.GetTempPath(), $"eah-bench-{Guid.NewGuid():N}.master-key")}"], cluster.ConnectionString));
        await ServiceHost.MigrateAsync(app, default);
        await app.StartAsync();
        var store = app.Services.GetRequiredService<Marten.IDocumentStore>();
        var rules = app.Services.GetRequiredService<RequestRulesCatalog>();
        var projections = app.Services.GetServices<IReportProjection>().ToList();

        var stopwatch = Stopwatch.StartNew();
        long seeded;
        var seeder = await LogSeeder.StartAsync(cluster.DataSource, store, EventNames.NameOf);
        await using (seeder)
        {
            seeded = await new LogWriter(seeder).WriteAsync(settingCount, requestCount);
        }

        Console.WriteLine($"seeded {seeded:N0} events ({settingCount:N0} settings, {requestCount:N0} requests, {Areas} areas) with COPY in {stopwatch.Elapsed.TotalSeconds:0} s");

        // Rebuild: Marten's daemon replays the whole log through all four projections side by side.
        var daemon = await store.BuildProjectionDaemonAsync();
        stopwatch.Restart();
        await Task.WhenAll(projections.Select(p => daemon.RebuildProjectionAsync(p.Name, TimeSpan.FromHours(2), CancellationToken.None)));
        var rebuildSeconds = stopwatch.Elapsed.TotalSeconds;
        var rebuildPerSecond = seeded / rebuildSeconds;
        Console.WriteLine($"rebuilt {projections.Count} report projections over {seeded:N0} events in {rebuildSeconds:0} s: {Measure.Whole(rebuildPerSecond)} events/s through all of them side by side");
        await cluster.ExecuteAsync("VACUUM ANALYZE");

        var largest = LogWriter.AreaName(Areas - 1); // areas grow with their index: the last is the largest
        var quarter = new ReportQuery(largest, new DateOnly(2026, 7, 1), new DateOnly(2026, 9, 30), null, null, null, null);
        var calendar = rules.For(largest).Calendar;
        var reports = new (string Name, Func<ReportView, Task> Run)[]
        {
            ("coverage", v => CoverageEndpoints.QueryAsync(v, quarter, default)),
            ("timeliness", v => TimelinessEndpoints.QueryAsync(v, quarter, null, null, default)),
            ("timeliness-by-discipline", v => TimelinessEndpoints.QueryAsync(v, quarter, "discipline", null, default)),
            ("de-escalation", v => DeEscalationEndpoints.QueryAsync(v, quarter, default)),
            ("equity", v => EquityEndpoints.QueryAsync(v, quarter, 0.5, default)),
            ("capacity", v => CapacityEndpoints.QueryAsync(v, quarter, calendar, default)),
            ("coverage-secondary-slt", v => CoverageEndpoints.QueryAsync(v, quarter with { Phase = Phase.Secondary, Discipline = Discipline.SpeechAndLanguageTherapy }, default)),
        };

        var worst = 0.0;
        foreach (var (name, run) in reports)
        {
            var timings = new List<double>(TimedRuns);
            for (var i = 0; i < TimedRuns + 3; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await using (var connection = await cluster.DataSource.OpenConnectionAsync())
                await using (var view = new ReportView(connection, null, 0, null))
                {
                    await run(view);
                }

                if (i >= 3)
                {
                    timings.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }

            timings.Sort();
            var median = timings[timings.Count / 2];
            worst = Math.Max(worst, median);
            Console.WriteLine($"report {name,-24} median {median,7:0.0} ms  p90 {timings[(int)(timings.Count * 0.9)],7:0.0} ms");
        }

        // As of a date the projections replay the area's log: much slower than a live answer, so shown apart.
        var source = app.Services.GetRequiredService<ReportSource>();
        var asOfStarted = Stopwatch.GetTimestamp();
        await using (var view = await source.OpenAsync(largest, new DateOnly(2026, 9, 30), [CoverageProjection.ProjectionName], default))
        {
            await CoverageEndpoints.QueryAsync(view, quarter with { AsOf = new DateOnly(2026, 9, 30) }, default);
        }

        var asOfMs = Stopwatch.GetElapsedTime(asOfStarted).TotalMilliseconds;
        Console.WriteLine($"report coverage asOf=2026-09-30 (replaying the largest area's log) {asOfMs:0} ms");

        // The what-if replays the largest area's recorded year through the engine, week by week, from the log.
        var reader = app.Services.GetRequiredService<RecordedYearReader>();
        var whatIfMs = new List<double>();
        WhatIfReport? whatIf = null;
        for (var i = 0; i < 3; i++)
        {
            var started = Stopwatch.GetTimestamp();
            whatIf = await WhatIfEndpoints.RunAsync(reader, rules.For(largest), largest, LastDay.AddDays(-364), LastDay, Domain.Allocation.AllocationPolicy.Fair, false, null, default);
            whatIfMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        whatIfMs.Sort();
        Console.WriteLine($"what-if fair over the largest area's year: {whatIf!.Actual.Demand} needs, {whatIf.Weeks} weeks, median {whatIfMs[1]:0} ms (runs {string.Join(", ", whatIfMs.Select(m => m.ToString("0", CultureInfo.InvariantCulture)))} ms)");
        await app.StopAsync();

        return $"reports events={seeded} worst_median_ms={worst.ToString("0.0", CultureInfo.InvariantCulture)} rebuild_per_s={Measure.Whole(rebuildPerSecond)} asof_ms={asOfMs.ToString("0", CultureInfo.InvariantCulture)} whatif_ms={whatIfMs[1].ToString("0", CultureInfo.InvariantCulture)}";
    }

    /// <summary>Writes realistic request histories straight into the log with binary COPY, serialised as the service would.</summary>
    private sealed class LogWriter(LogSeeder seeder)
    {
        private static readonly Discipline[] Disciplines = [Discipline.EducationalPsychology, Discipline.EducationalPsychology, Discipline.SpeechAndLanguageTherapy, Discipline.SpeechAndLanguageTherapy, Discipline.OccupationalTherapy];
        private static readonly Phase[] Phases = [Phase.EarlyYears, Phase.Primary, Phase.Primary, Phase.Primary, Phase.Primary, Phase.Secondary, Phase.Secondary, Phase.FurtherEducation, Phase.AllThrough, Phase.AlternativeProvision];
        private static readonly ClosureOutcome[] Outcomes =
        [
            ClosureOutcome.NeedsMetInSetting, ClosureOutcome.NeedsMetInSetting, ClosureOutcome.NeedsMetInSetting, ClosureOutcome.ContinuingWithUniversalSupport,
            ClosureOutcome.ContinuingWithUniversalSupport, ClosureOutcome.EhcNeedsAssessmentRequested, ClosureOutcome.SpecialistPlacementSought, ClosureOutcome.ReferredToSpecialistPathway,
        ];

        private readonly Random _random = new(20261123);

        public static string AreaName(int index) => $"area-{index:D3}";

        public async Task<long> WriteAsync(int settingCount, int requestCount)
        {
            // Areas differ as England's do: the largest (a Kent) holds about 2.5% of the nation, about
            // 620 settings and 50,000 requests at full scale; the smallest about a fortieth of that.
            var weights = Enumerable.Range(0, Areas).Select(i => 1 + (40 * Math.Pow(i / (Areas - 1.0), 3))).ToArray();
            var total = weights.Sum();
            for (var area = 0; area < Areas; area++)
            {
                var tenant = AreaName(area);
                var settings = Math.Max(4, (int)(settingCount * weights[area] / total));
                var requests = (int)(requestCount * weights[area] / total);
                var localities = Enumerable.Range(1, 4 + (area % 5)).Select(n => $"Locality {n}").ToArray();
                var registered = new DateTimeOffset(2024, 12, 2, 9, 0, 0, TimeSpan.Zero);
                var urns = new string[settings];
                for (var s = 0; s < settings; s++)
                {
                    urns[s] = (100_000 + (area * 1_000) + s).ToString(CultureInfo.InvariantCulture);
                    var roll = _random.Next(30, 1600);
                    var details = new SettingDetails($"Setting {urns[s]}", Phases[_random.Next(Phases.Length)], localities[_random.Next(localities.Length)], true, roll,
                        Math.Round((decimal)_random.NextDouble() * 45, 1), Math.Round(6 + ((decimal)_random.NextDouble() * 14), 1), Math.Round((decimal)_random.NextDouble() * 5, 1), null, true);
                    await WriteAsync(tenant, SettingDecider.StreamType, StreamId.For(SettingDecider.StreamType, urns[s]), 1, new SettingRegistered(urns[s], details, "import", registered), registered);
                }

                var practitioners = new Dictionary<Discipline, string[]>();
                foreach (var discipline in Disciplines.Distinct())
                {
                    var ids = Enumerable.Range(1, Math.Max(2, settings / 25)).Select(n => $"{discipline.ToString()[..3].ToLowerInvariant()}-{n}").ToArray();
                    practitioners[discipline] = ids;
                    foreach (var id in ids)
                    {
                        var details = new PractitionerDetails($"Practitioner {id}", discipline, discipline == Discipline.EducationalPsychology ? ProviderOrganisation.LocalAuthorityTeam : ProviderOrganisation.NhsTrust,
                            localities, 30, true);
                        await WriteAsync(tenant, PractitionerDecider.StreamType, StreamId.For(PractitionerDecider.StreamType, id), 1, new PractitionerRegistered(id, details, "import", registered), registered);
                    }
                }

                for (var r = 0; r < requests; r++)
                {
                    await WriteRequestAsync(tenant, urns[_random.Next(urns.Length)], practitioners);
                }
            }

            return seeder.Rows;
        }

        private async Task WriteRequestAsync(string tenant, string urn, Dictionary<Discipline, string[]> practitioners)
        {
            var id = Guid.NewGuid();
            var received = FirstDay.AddDays(_random.Next(LastDay.DayNumber - FirstDay.DayNumber));
            if (received.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
            {
                received = received.AddDays(2);
            }

            DateTimeOffset At(DateOnly day, int hour) => new(day.ToDateTime(new TimeOnly(hour, 0)), TimeSpan.Zero);
            var discipline = Disciplines[_random.Next(Disciplines.Length)];
            var level = (RequestLevel)_random.Next(3);
            var urgency = _random.Next(20) switch { 0 => Priority.Urgent, < 6 => Priority.High, _ => Priority.Routine };
            var child = level == RequestLevel.Individual ? new ChildDetails($"C{_random.Next(1_000_000)}", _random.Next(0, 12), (SenStatus)_random.Next(3), true) : null;
            var version = 0L;
            async Task Write(object e, DateTimeOffset at) => await WriteAsync(tenant, RequestEventTypes.StreamType, id, ++version, e, at);

            await Write(new RequestRaised(id, urn, level, [discipline], [AreaOfNeed.CommunicationAndInteraction], "Needs summary.", "Action taken.", child, urgency, "senco", At(received, 10), received, received.AddDays(7), ChildKey: child is null ? null : Infrastructure.StreamId.For("child", $"{urn}/{child.Reference}").ToString("N")), At(received, 10));
            var daysLeft = LastDay.DayNumber - received.DayNumber;
            var triageDays = _random.Next(1, 9);
            if (daysLeft < triageDays)
            {
                return; // still awaiting triage
            }

            var triaged = received.AddDays(triageDays);
            if (_random.Next(12) == 0)
            {
                await Write(new TriageDeclined("Universal offer.", "Below threshold.", "coordinator", At(triaged, 11)), At(triaged, 11));
                await Write(new TriageClockStopped(triageDays, 5, triageDays <= 5), At(triaged, 11));
                await Write(new RequestClosed(ClosureOutcome.NoFurtherAction, "Signposted.", "coordinator", At(triaged, 11)), At(triaged, 11));
                return;
            }

            var practitioner = practitioners[discipline][_random.Next(practitioners[discipline].Length)];
            await Write(new TriageAccepted(SupportType.Consultation, [discipline], urgency, "Meets threshold.", "coordinator", At(triaged, 11), triaged, triaged.AddDays(21)), At(triaged, 11));
            await Write(new TriageClockStopped(triageDays, 5, triageDays <= 5), At(triaged, 11));
            await Write(new PractitionerAllocated(practitioner, discipline, "coordinator", At(triaged, 12), Guid.NewGuid(), 3), At(triaged, 12));
            var contactDays = _random.Next(2, 30);
            if (daysLeft < triageDays + contactDays)
            {
                return; // waiting for a first contact
            }

            var contacted = triaged.AddDays(contactDays);
            await Write(new ContactRecorded(Guid.NewGuid(), contacted, _random.Next(4, 13) * 15, ContactMode.InPerson, [Attendee.Senco], practitioner, At(contacted, 15)), At(contacted, 15));
            await Write(new FirstContactRecorded(contacted, contactDays * 5 / 7, 15, contactDays * 5 / 7 <= 15), At(contacted, 15));
            var closeDays = _random.Next(7, 60);
            if (daysLeft < triageDays + contactDays + closeDays)
            {
                return; // in service
            }

            var closed = contacted.AddDays(closeDays);
            await Write(new RequestClosed(Outcomes[_random.Next(Outcomes.Length)], "Done.", "practitioner", At(closed, 16)), At(closed, 16));
        }

        // The stream type is not stored: Marten's streams carry none for the service's untyped streams.
        private Task WriteAsync(string tenant, string streamType, Guid stream, long version, object data, DateTimeOffset recordedAt) =>
            seeder.WriteAsync(tenant, stream, version, data, recordedAt);
    }
}
