using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.Features.Reports;
using Microsoft.Extensions.DependencyInjection;
using static ExpertsAtHand.Service.Tests.ApiBuilders;

namespace ExpertsAtHand.Service.Tests;

public sealed class ReportAsOfAndCapacityTests
{
    private static readonly TimeZoneInfo London = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");

    [Fact]
    public async Task A_report_as_of_a_past_date_ignores_later_events_and_leaves_the_live_read_model_alone()
    {
        await using var app = await ServiceApp.StartAsync(); // Monday 5 October 2026, 09:00
        await SeedReferenceDataAsync(app);
        var first = await SupportAsync(app, Urn, "2026-10-05", 90);
        app.Clock.Advance(TimeSpan.FromDays(7)); // Monday 12 October
        var second = await SupportAsync(app, OtherUrn, "2026-10-12", 60);
        await app.CatchUpProjectionsAsync();
        using var coordinator = app.As("coordinator");

        var live = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/coverage?from=2026-10-01&to=2026-10-31"))!;
        var asOf = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/coverage?from=2026-10-01&to=2026-10-31&asOf=2026-10-09"))!;

        // The same measure folded straight from the events recorded by the end of 9 October (London).
        var cut = new DateTimeOffset(2026, 10, 10, 0, 0, 0, TimeSpan.FromHours(1));
        var hours = new Dictionary<string, decimal> { [Urn] = 0, [OtherUrn] = 0 };
        await using (var session = app.Services.GetRequiredService<Marten.IDocumentStore>().QuerySession(ServiceApp.Tenant))
        {
            foreach (var id in new[] { first, second })
            {
                var events = (await session.Events.FetchStreamAsync(id)).Where(e => e.Timestamp < cut).ToList();
                if (events.Select(e => e.Data).OfType<RequestRaised>().SingleOrDefault() is { } raised)
                {
                    hours[raised.SettingUrn] += events.Select(e => e.Data).OfType<ContactRecorded>().Sum(c => c.DurationMinutes / 60m);
                }
            }
        }

        var rows = asOf["rows"]!.AsArray();
        Assert.Equal(hours[Urn], rows.Single(r => r!["phase"]!.GetValue<string>() == "Primary")!["hoursDelivered"]!.GetValue<decimal>());
        Assert.Equal(hours[OtherUrn], rows.Single(r => r!["phase"]!.GetValue<string>() == "Secondary")!["hoursDelivered"]!.GetValue<decimal>());
        Assert.Equal(1, asOf["total"]!["settingsSupported"]!.GetValue<long>());
        Assert.Equal(2, live["total"]!["settingsSupported"]!.GetValue<long>());
        Assert.Equal("2026-10-09", asOf["asOf"]!.GetValue<string>());
        Assert.True(asOf["lastEventPosition"]!.GetValue<long>() < live["lastEventPosition"]!.GetValue<long>());

        var timelinessThen = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/timeliness?from=2026-10-01&to=2026-10-31&asOf=2026-10-09"))!;
        var timelinessNow = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/timeliness?from=2026-10-01&to=2026-10-31"))!;
        Assert.Equal(1, timelinessThen["groups"]![0]!["timeToTriage"]!["count"]!.GetValue<long>());
        Assert.Equal(2, timelinessNow["groups"]![0]!["timeToTriage"]!["count"]!.GetValue<long>());

        // The return replays its three projections in one pass to the same cut.
        var returned = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/quarterly-return?quarter=2026-Q4&asOf=2026-10-09"))!;
        Assert.Equal(asOf["lastEventPosition"]!.GetValue<long>(), returned["lastEventPosition"]!.GetValue<long>());
        var hoursLine = returned["lines"]!.AsArray().Single(l => l!["locality"]!.GetValue<string>() == "All" && l["measure"]!.GetValue<string>() == "hours_delivered");
        Assert.Equal((hours[Urn] + hours[OtherUrn]).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture), hoursLine!["value"]!.GetValue<string>());

        // Asking about the past changed nothing live.
        var again = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/coverage?from=2026-10-01&to=2026-10-31"))!;
        Assert.Equal(live.ToJsonString(), again.ToJsonString());
    }

    [Fact]
    public async Task Live_and_as_of_answers_taking_turns_on_prepared_connections_never_answer_for_each_other()
    {
        await using var app = await ServiceApp.StartAsync(); // Monday 5 October 2026, 09:00
        await SeedReferenceDataAsync(app);
        await SupportAsync(app, Urn, "2026-10-05", 90);
        app.Clock.Advance(TimeSpan.FromDays(7));
        await SupportAsync(app, OtherUrn, "2026-10-12", 60);
        await app.CatchUpProjectionsAsync();
        using var coordinator = app.As("coordinator");

        // An as-of answer shadows the read model's tables with temporary ones of the same names; the
        // same query text, prepared on a pooled connection, must still read whichever tables stand.
        const string Live = "/api/reports/coverage?from=2026-10-01&to=2026-10-31";
        const string Then = Live + "&asOf=2026-10-09";
        const string Before = Live + "&asOf=2026-10-04";
        var answers = new List<(string Url, long Supported)>();
        for (var turn = 0; turn < 8; turn++)
        {
            foreach (var url in new[] { Live, Then, Before })
            {
                var answer = (await coordinator.GetFromJsonAsync<JsonObject>(url))!;
                answers.Add((url, answer["total"]!["settingsSupported"]!.GetValue<long>()));
            }
        }

        Assert.All(answers.Where(a => a.Url == Live), a => Assert.Equal(2, a.Supported));
        Assert.All(answers.Where(a => a.Url == Then), a => Assert.Equal(1, a.Supported));
        Assert.All(answers.Where(a => a.Url == Before), a => Assert.Equal(0, a.Supported));

        // And the report's query was indeed prepared on the service's pooled connections.
        var dataSource = app.Services.GetRequiredService<Npgsql.NpgsqlDataSource>();
        var idle = new List<Npgsql.NpgsqlConnection>();
        var prepared = new List<string>();
        var liveTempSchemas = new List<long>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var connection = await dataSource.OpenConnectionAsync();
                idle.Add(connection);
                await using (var temp = new Npgsql.NpgsqlCommand("SELECT pg_my_temp_schema()::oid::bigint", connection))
                {
                    liveTempSchemas.Add((long)(await temp.ExecuteScalarAsync())!);
                }

                await using var command = new Npgsql.NpgsqlCommand("SELECT statement FROM pg_prepared_statements", connection);
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    prepared.Add(reader.GetString(0));
                }
            }
        }
        finally
        {
            foreach (var connection in idle)
            {
                await connection.DisposeAsync();
            }
        }

        Assert.Contains(prepared, statement => statement.Contains("rpt_deliveries", StringComparison.Ordinal));

        // As-of answers use a pool of their own: no live connection ever held a temporary table, and
        // the as-of connections did prepare their statements (planned afresh against each answer's tables).
        Assert.All(liveTempSchemas, schema => Assert.Equal(0L, schema));
        await using var asOfConnection = await app.Services.GetRequiredService<ExpertsAtHand.Service.Features.Reports.AsOfConnections>().DataSource.OpenConnectionAsync();
        await using var asOfPrepared = new Npgsql.NpgsqlCommand("SELECT count(*) FROM pg_prepared_statements", asOfConnection);
        Assert.True((long)(await asOfPrepared.ExecuteScalarAsync())! > 0, "as-of connections prepare their statements");
    }

    [Fact]
    public async Task Capacity_by_week_equals_a_direct_fold_over_the_events_and_a_rebuild_changes_nothing()
    {
        await using var app = await ServiceApp.StartAsync(); // Monday 5 October 2026
        await SeedReferenceDataAsync(app);
        using var coordinator = app.As("coordinator");
        using var senco = app.As("senco", urn: Urn);
        Assert.Equal(HttpStatusCode.Created, (await coordinator.PostAsJsonAsync($"/api/practitioners/{Ep}/absences", new { from = "2026-10-14", to = "2026-10-14", reason = "Training" })).StatusCode);

        var supported = await SupportAsync(app, Urn, "2026-10-05", 120); // triaged and seen in week 1
        var (waiting, _) = await RaiseAsync(app); // never triaged
        var (accepted, acceptedTag) = await RaiseAsync(app);
        await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{accepted}/triage", Accept(), acceptedTag), HttpStatusCode.OK); // waits for a first contact
        app.Clock.Advance(TimeSpan.FromDays(7)); // week 2
        var (withdrawn, withdrawnTag) = await RaiseAsync(app);
        app.Clock.Advance(TimeSpan.FromDays(1));
        await ExpectAsync(await PostAsync(senco, $"/api/requests/{withdrawn}/withdrawal", new { reason = "Resolved in school." }, withdrawnTag), HttpStatusCode.OK);
        await app.CatchUpProjectionsAsync();

        var report = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/capacity?from=2026-10-05&to=2026-10-18&discipline=EducationalPsychology"))!;
        var weeks = report["weeks"]!.AsArray();
        Assert.Equal(["2026-10-05", "2026-10-12"], weeks.Select(w => w!["weekStarting"]!.GetValue<string>()));

        // The fold: each request's dates straight from its events.
        var requests = new List<(DateOnly Received, DateOnly? Triaged, DateOnly? FirstContact, DateOnly? Ended)>();
        await using (var session = app.Services.GetRequiredService<Marten.IDocumentStore>().QuerySession(ServiceApp.Tenant))
        {
            foreach (var id in new[] { supported, waiting, accepted, withdrawn })
            {
                var events = await session.Events.FetchStreamAsync(id);
                DateOnly Local(JasperFx.Events.IEvent e) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(e.Timestamp, London).DateTime);
                requests.Add((
                    events.Select(e => e.Data).OfType<RequestRaised>().Single().ReceivedOn,
                    events.Where(e => e.Data is TriageClockStopped).Select(e => (DateOnly?)Local(e)).FirstOrDefault(),
                    events.Select(e => e.Data).OfType<FirstContactRecorded>().Select(f => (DateOnly?)f.Date).FirstOrDefault(),
                    events.Where(e => e.Data is RequestClosed or RequestWithdrawn).Select(e => (DateOnly?)Local(e)).FirstOrDefault()));
            }
        }

        foreach (var week in weeks)
        {
            var start = DateOnly.Parse(week!["weekStarting"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
            var end = start.AddDays(6);
            var open = requests.Where(r => r.Received <= end && !(r.Ended <= end) && !(r.FirstContact <= end)).ToList();
            Assert.Equal(requests.Count(r => r.Received >= start && r.Received <= end), week["received"]!.GetValue<long>());
            Assert.Equal(open.Count(r => !(r.Triaged <= end)), week["awaitingTriage"]!.GetValue<long>());
            Assert.Equal(open.Count(r => r.Triaged <= end), week["awaitingFirstContact"]!.GetValue<long>());
            Assert.Equal(open.Min(r => (DateOnly?)r.Received)?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), week["oldestWaitingSince"]?.GetValue<string>());
        }

        // 30 hours a week; in week 2 the educational psychologist is away one of five working days.
        Assert.Equal(30m, weeks[0]!["capacityHours"]!.GetValue<decimal>());
        Assert.Equal(24m, weeks[1]!["capacityHours"]!.GetValue<decimal>());
        Assert.Equal(2m, weeks[0]!["hoursDelivered"]!.GetValue<decimal>());
        Assert.Equal(9, weeks[1]!["oldestWaitWorkingDays"]!.GetValue<int>()); // working days after Monday 5th up to Sunday 18th

        // A practitioner's registration stands for the weeks before it; their absence does not.
        var before = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/capacity?from=2026-09-28&to=2026-10-04&discipline=EducationalPsychology"))!;
        Assert.Equal(30m, before["weeks"]![0]!["capacityHours"]!.GetValue<decimal>());
        Assert.Equal(0, before["weeks"]![0]!["backlog"]!.GetValue<long>());

        await app.RebuildAsync(CapacityProjection.ProjectionName);
        var rebuilt = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/capacity?from=2026-10-05&to=2026-10-18&discipline=EducationalPsychology"))!;
        Assert.Equal(weeks.ToJsonString(), rebuilt["weeks"]!.ToJsonString());
    }

    [Fact]
    public async Task Reports_filter_by_locality_phase_and_discipline_and_name_the_field_of_a_bad_filter()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        await SupportAsync(app, Urn, "2026-10-05", 90);
        await SupportAsync(app, OtherUrn, "2026-10-05", 60);
        await app.CatchUpProjectionsAsync();
        using var coordinator = app.As("coordinator");

        var secondary = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/coverage?from=2026-10-01&to=2026-10-31&phase=Secondary"))!;
        Assert.Equal(["Secondary"], secondary["rows"]!.AsArray().Select(r => r!["phase"]!.GetValue<string>()));
        Assert.Equal(1m, secondary["total"]!["hoursDelivered"]!.GetValue<decimal>());
        Assert.Equal("Secondary", secondary["filters"]!["phase"]!.GetValue<string>());

        var speech = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/coverage?from=2026-10-01&to=2026-10-31&discipline=SpeechAndLanguageTherapy"))!;
        Assert.Equal(0, speech["total"]!["settingsSupported"]!.GetValue<long>());
        var north = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/equity?from=2026-10-01&to=2026-10-31&locality=NORTH"))!;
        Assert.Equal(2, north["settings"]!.AsArray().Count);
        Assert.Equal("North", north["filters"]!["locality"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, (await coordinator.GetAsync("/api/reports/equity?from=2026-10-01&to=2026-10-31&locality=South")).StatusCode); // no such locality here
        var primaryOutcomes = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/de-escalation?from=2026-10-01&to=2026-10-31&phase=Primary"))!;
        var allOutcomes = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/de-escalation?from=2026-10-01&to=2026-10-31"))!;
        Assert.Equal(1, primaryOutcomes["closed"]!.GetValue<long>());
        Assert.Equal(2, allOutcomes["closed"]!.GetValue<long>());

        foreach (var (path, field) in new[]
        {
            ("/api/reports/coverage?from=2026-10-01&to=2026-10-31&phase=Infant", "phase"),
            ("/api/reports/equity?from=2026-10-01&to=2026-10-31&discipline=Physio", "discipline"),
            ("/api/reports/capacity?from=2026-10-01&to=2026-10-31&asOf=2027-01-01", "asOf"),
            ("/api/reports/de-escalation?from=2026-10-01&to=2026-10-31&locality=", "locality"),
            ("/api/reports/timeliness?from=2026-10-31&to=2026-10-01", "to"),
            ("/api/reports/quarterly-return?quarter=2026-Q4&asOf=2030-01-01", "asOf"),
        })
        {
            var response = await coordinator.GetAsync(path);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.True(problem["errors"]!.AsObject().ContainsKey(field), $"{path}: {problem.ToJsonString()}");
        }
    }

    [Fact]
    public async Task No_child_reference_or_child_key_reaches_any_report_or_export()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        const string Reference = "PRV-7731-XQ";
        using var senco = app.As("senco", urn: Urn);
        var raised = await senco.PostAsJsonAsync("/api/requests", RaiseBody(level: "Individual", child: new { reference = Reference, yearGroup = 4, senStatus = "SenSupport", parentalConsent = true }));
        Assert.Equal(HttpStatusCode.Created, raised.StatusCode);
        var id = (await raised.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
        await CarryThroughAsync(app, id, raised.Headers.ETag!.Tag, "2026-10-05", 45);
        await app.CatchUpProjectionsAsync();
        var childKey = await app.Database.ScalarAsync<string>($"SELECT child_key FROM rpt_episodes WHERE request_id = '{id}'");
        Assert.False(string.IsNullOrEmpty(childKey)); // the episode knows its child, so the sweep below looks for something real

        using var commissioner = app.As("commissioner");
        var paths = new List<string>();
        foreach (var report in new[] { "coverage", "timeliness", "de-escalation", "equity", "capacity" })
        {
            paths.Add($"/api/reports/{report}?from=2026-10-01&to=2026-12-31");
            paths.Add($"/api/reports/{report}?from=2026-10-01&to=2026-12-31&asOf=2026-10-05");
        }

        paths.AddRange(new[] { "locality", "phase", "discipline", "priority", "provider" }.Select(g => $"/api/reports/timeliness?from=2026-10-01&to=2026-12-31&groupBy={g}"));
        paths.AddRange(["/api/reports/quarterly-return?quarter=2026-Q4", "/api/reports/quarterly-return?quarter=2026-Q4&asOf=2026-10-05", "/api/reports/quarterly-return?quarter=2026-Q4&format=csv", "/api/reports/quarterly-return?quarter=2026-Q4&format=csv&suppression=nhs"]);
        foreach (var path in paths)
        {
            var response = await commissioner.GetAsync(path);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {text}");
            Assert.DoesNotContain(Reference, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(childKey, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(id.ToString(), text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("yearGroup", text, StringComparison.OrdinalIgnoreCase);
        }

        // Aggregates only: the request itself is outside a commissioner's view.
        Assert.Contains((await commissioner.GetAsync($"/api/requests/{id}")).StatusCode, new[] { HttpStatusCode.Forbidden, HttpStatusCode.NotFound });
    }

    /// <summary>Raises a request at <paramref name="urn"/>, accepts it, allocates the EP, records one contact and closes it as needs met.</summary>
    private static async Task<Guid> SupportAsync(ServiceApp app, string urn, string date, int minutes)
    {
        using var senco = app.As("senco", urn: urn);
        var response = await senco.PostAsJsonAsync("/api/requests", RaiseBody(urn));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
        await CarryThroughAsync(app, id, response.Headers.ETag!.Tag, date, minutes);
        return id;
    }

    private static async Task CarryThroughAsync(ServiceApp app, Guid id, string etag, string date, int minutes)
    {
        using var coordinator = app.As("coordinator");
        using var practitioner = app.As("practitioner", practitioner: Ep);
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/triage", Accept(), etag), HttpStatusCode.OK);
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/allocations", new { practitionerId = Ep, discipline = "EducationalPsychology", overrideReason = "Test arrangement." }, etag), HttpStatusCode.OK);
        etag = await ExpectAsync(await PostAsync(practitioner, $"/api/requests/{id}/contacts", new { date, durationMinutes = minutes, mode = "InPerson", attended = new[] { "Senco" } }, etag), HttpStatusCode.OK);
        await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/closure", new { outcome = "NeedsMetInSetting", note = "Done." }, etag), HttpStatusCode.OK);
    }
}
