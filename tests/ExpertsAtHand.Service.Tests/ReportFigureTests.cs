using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static ExpertsAtHand.Service.Tests.ApiBuilders;

namespace ExpertsAtHand.Service.Tests;

/// <summary>Figures a new user found wrong: each measured against its definition in DOMAIN.md.</summary>
public sealed class ReportFigureTests : SeededServiceTest
{
    private static readonly object Child = new { reference = "Y3-0042", yearGroup = 3, senStatus = "SenSupport", parentalConsent = true };

    [Fact]
    public async Task A_childs_first_request_is_never_a_repeat_and_closing_the_second_does_not_make_it_one()
    {
        var app = App; // Monday 5 October 2026; two settings, two practitioners
        using var coordinator = app.As("coordinator");
        async Task<double?> RepeatRate()
        {
            await app.CatchUpProjectionsAsync();
            var report = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/de-escalation?from=2026-09-01&to=2026-12-31"))!;
            return report["repeatRate"]?.GetValue<double>();
        }

        var (first, etag) = await RaiseIndividualAsync(app, Child);
        await AcceptAndCloseAsync(app, first, etag, "NeedsMetInSetting");
        Assert.Equal(0, await RepeatRate());

        app.Clock.Advance(TimeSpan.FromDays(14));
        var (second, secondEtag) = await RaiseIndividualAsync(app, Child);
        Assert.Equal(0.5, await RepeatRate());

        await AcceptAndCloseAsync(app, second, secondEtag, "ContinuingWithUniversalSupport");
        Assert.Equal(0.5, await RepeatRate()); // closing the second does not make the first a repeat

        // Reopening is a new episode of the same request, not a request raised.
        app.Clock.Advance(TimeSpan.FromDays(1));
        var reopenEtag = (await coordinator.GetAsync($"/api/requests/{second}")).Headers.ETag!.Tag;
        await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{second}/reopening", new { reason = "New concerns." }, reopenEtag), HttpStatusCode.OK);
        Assert.Equal(0.5, await RepeatRate());
        await app.CatchUpProjectionsAsync();
        var report = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/de-escalation?from=2026-09-01&to=2026-12-31"))!;
        Assert.Equal(2, report["individualRaised"]!.GetValue<long>());
        Assert.Equal(1, report["repeats"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_request_closed_reopened_and_closed_again_counts_once_by_how_it_last_closed()
    {
        var app = App; // Monday 5 October 2026; two settings, two practitioners
        using var coordinator = app.As("coordinator");
        var (id, etag) = await RaiseAsync(app);
        etag = await AcceptAndCloseAsync(app, id, etag, "NeedsMetInSetting");
        app.Clock.Advance(TimeSpan.FromDays(7));
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/reopening", new { reason = "New concerns." }, etag), HttpStatusCode.OK);
        await AcceptAndCloseAsync(app, id, etag, "EhcNeedsAssessmentRequested");
        await app.CatchUpProjectionsAsync();

        var report = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/de-escalation?from=2026-09-01&to=2026-12-31"))!;
        Assert.Equal(1, report["closed"]!.GetValue<long>());
        Assert.Equal(0, report["deEscalationRate"]!.GetValue<double>());
        Assert.Equal(1, report["escalationRate"]!.GetValue<double>());

        // A period holding only the first closure counts that one.
        var october = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/de-escalation?from=2026-10-01&to=2026-10-07"))!;
        Assert.Equal(1, october["deEscalationRate"]!.GetValue<double>());
    }

    [Fact]
    public async Task Capacity_counts_a_clinic_someone_attended_as_hours_delivered_as_coverage_does()
    {
        var app = App; // Monday 5 October 2026; two settings, two practitioners
        using var coordinator = app.As("coordinator");
        var clinic = await coordinator.PostAsJsonAsync("/api/clinics", ClinicBody(places: 4));
        Assert.Equal(HttpStatusCode.Created, clinic.StatusCode);
        var id = (await clinic.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
        foreach (var urn in new[] { Urn, OtherUrn })
        {
            Assert.Equal(HttpStatusCode.OK, (await app.As("senco", urn: urn).PostAsJsonAsync($"/api/clinics/{id}/bookings", new { settingUrn = urn })).StatusCode);
        }

        app.Clock.Advance(TimeSpan.FromDays(3));
        Assert.Equal(HttpStatusCode.OK, (await app.As("practitioner", practitioner: Salt).PostAsJsonAsync($"/api/clinics/{id}/attendance", new { attended = new[] { Urn, OtherUrn } })).StatusCode);
        await app.CatchUpProjectionsAsync();

        var capacity = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/capacity?from=2026-10-05&to=2026-10-11&discipline=SpeechAndLanguageTherapy"))!;
        var week = capacity["weeks"]!.AsArray().Single(w => w!["discipline"]!.GetValue<string>() == "SpeechAndLanguageTherapy")!;
        var coverage = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/coverage?from=2026-10-05&to=2026-10-11"))!;
        Assert.Equal(3m, week["hoursDelivered"]!.GetValue<decimal>());
        Assert.Equal(3m, coverage["total"]!["hoursDelivered"]!.GetValue<decimal>()); // 1.5 h to each of two settings

        // The as-of answer, replayed from the log, agrees.
        var asOf = (await coordinator.GetFromJsonAsync<JsonObject>($"/api/reports/capacity?from=2026-10-05&to=2026-10-11&discipline=SpeechAndLanguageTherapy&asOf=2026-10-08"))!;
        Assert.Equal(3m, asOf["weeks"]!.AsArray().Single(w => w!["discipline"]!.GetValue<string>() == "SpeechAndLanguageTherapy")!["hoursDelivered"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task The_quarterly_return_suppresses_every_rate_built_on_a_suppressed_count()
    {
        var app = App; // two settings in scope, none supported yet
        var (id, etag) = await RaiseAsync(app);
        await AcceptAndCloseAsync(app, id, etag, "NeedsMetInSetting");
        await app.CatchUpProjectionsAsync();

        var lines = (await app.As("commissioner").GetFromJsonAsync<JsonObject>("/api/reports/quarterly-return?quarter=2026-Q4"))!["lines"]!.AsArray();
        string Value(string measure) => lines.First(l => l!["measure"]!.GetValue<string>() == measure && l["locality"]!.GetValue<string>() == "All")!["value"]!.GetValue<string>();
        Assert.Equal("c", Value("settings_in_scope"));
        Assert.Equal("0", Value("settings_supported"));
        Assert.Equal("c", Value("coverage")); // 0 of a suppressed 2: no 0.000 that gives the 2 away
        Assert.Equal("c", Value("closed_except_withdrawn"));
        Assert.Equal("c", Value("de_escalation_rate"));
        Assert.Equal("c", Value("triage_within_standard"));
        string[] rates = ["coverage", "triage_median_working_days", "triage_p90_working_days", "triage_within_standard", "de_escalation_rate", "escalation_rate"];
        Assert.All(lines.Where(l => rates.Contains(l!["measure"]!.GetValue<string>())), l => Assert.Contains(l!["value"]!.GetValue<string>(), new[] { "c", string.Empty }));
    }

    [Fact]
    public async Task Commissioners_see_small_counts_and_the_rates_built_on_them_hidden_while_coordinators_see_them_exactly()
    {
        var app = App; // Monday 5 October 2026; two settings, two practitioners
        var (id, etag) = await RaiseAsync(app);
        using var coordinator = app.As("coordinator");
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/triage", Accept(), etag), HttpStatusCode.OK);
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/allocations", new { practitionerId = Ep, discipline = "EducationalPsychology" }, etag), HttpStatusCode.OK);
        etag = await ExpectAsync(await PostAsync(app.As("practitioner", practitioner: Ep), $"/api/requests/{id}/contacts", new { date = "2026-10-05", durationMinutes = 60, mode = "InPerson", attended = new[] { "Senco" } }, etag), HttpStatusCode.OK);
        await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/closure", new { outcome = "NeedsMetInSetting", note = "Done." }, etag), HttpStatusCode.OK);
        await app.CatchUpProjectionsAsync();
        using var commissioner = app.As("commissioner");
        const string Period = "from=2026-09-01&to=2026-12-31";

        var exact = (await coordinator.GetFromJsonAsync<JsonObject>($"/api/reports/coverage?{Period}"))!["total"]!;
        var hidden = (await commissioner.GetFromJsonAsync<JsonObject>($"/api/reports/coverage?{Period}"))!;
        Assert.Equal((2, 1, 0.5), (exact["settingsInScope"]!.GetValue<long>(), exact["settingsSupported"]!.GetValue<long>(), exact["coverage"]!.GetValue<double>()));
        Assert.Null(hidden["total"]!["settingsInScope"]);
        Assert.Null(hidden["total"]!["settingsSupported"]);
        Assert.Null(hidden["total"]!["coverage"]);
        Assert.Equal(1m, hidden["total"]!["hoursDelivered"]!.GetValue<decimal>()); // hours are not a count of people
        Assert.Contains("1 to 4", hidden["suppression"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null((await coordinator.GetFromJsonAsync<JsonObject>($"/api/reports/coverage?{Period}"))!["suppression"]);

        var triage = (await commissioner.GetFromJsonAsync<JsonObject>($"/api/reports/timeliness?{Period}"))!["groups"]![0]!["timeToTriage"]!;
        Assert.Null(triage["count"]);
        Assert.Null(triage["median"]);
        Assert.Equal(1, (await coordinator.GetFromJsonAsync<JsonObject>($"/api/reports/timeliness?{Period}"))!["groups"]![0]!["timeToTriage"]!["count"]!.GetValue<long>());

        var outcomes = (await commissioner.GetFromJsonAsync<JsonObject>($"/api/reports/de-escalation?{Period}"))!;
        Assert.Null(outcomes["closedExceptWithdrawn"]);
        Assert.Null(outcomes["deEscalationRate"]);
        Assert.Equal(1.0, (await coordinator.GetFromJsonAsync<JsonObject>($"/api/reports/de-escalation?{Period}"))!["deEscalationRate"]!.GetValue<double>());

        var weeks = (await commissioner.GetFromJsonAsync<JsonObject>($"/api/reports/capacity?from=2026-10-05&to=2026-10-11"))!["weeks"]!.AsArray();
        Assert.All(weeks, w => Assert.True(w!["received"] is null || w["received"]!.GetValue<long>() is 0 or > 4));
        Assert.Contains(weeks, w => w!["received"] is null); // the one request received that week
    }

    private static async Task<(Guid Id, string ETag)> RaiseIndividualAsync(ServiceApp app, object child)
    {
        using var senco = app.As("senco", urn: Urn);
        var response = await senco.PostAsJsonAsync("/api/requests", RaiseBody(level: "Individual", child: child));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return ((await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>(), response.Headers.ETag!.Tag);
    }
}
