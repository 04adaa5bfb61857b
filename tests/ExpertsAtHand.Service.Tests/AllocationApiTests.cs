using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static ExpertsAtHand.Service.Tests.ApiBuilders;

namespace ExpertsAtHand.Service.Tests;

public sealed class AllocationApiTests
{
    [Fact]
    public async Task Following_the_engines_suggestion_records_what_ranked_it_and_a_commissioner_can_read_why()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        using var coordinator = app.As("coordinator");
        var (id, etag) = await RaiseAsync(app);
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/triage", Accept(), etag), HttpStatusCode.OK);

        var suggestions = (await coordinator.GetFromJsonAsync<JsonObject>($"/api/allocations/suggestions?requestId={id}"))!;
        var suggestion = suggestions["proposed"]!.AsArray().Single()!;
        Assert.Equal(Ep, suggestion["practitionerId"]!.GetValue<string>());
        Assert.Equal(3m, suggestion["hours"]!.GetValue<decimal>()); // a consultation is a three-hour session
        Assert.Contains("Ranked 1: High priority", suggestion["explanation"]!.GetValue<string>(), StringComparison.Ordinal);

        await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/allocations", new { practitionerId = Ep, discipline = "EducationalPsychology" }, etag), HttpStatusCode.OK);
        var allocationId = await app.Database.ScalarAsync<Guid>("SELECT allocation_id FROM rm_allocations");
        Assert.Empty((await coordinator.GetFromJsonAsync<JsonObject>($"/api/allocations/suggestions?requestId={id}"))!["proposed"]!.AsArray());

        var forCommissioner = (await app.As("commissioner").GetFromJsonAsync<JsonObject>($"/api/allocations/{allocationId}/explanation"))!;
        Assert.Null(forCommissioner["requestId"]);
        Assert.Equal(1, forCommissioner["ranking"]!["rank"]!.GetValue<int>());
        Assert.Contains("of its fair share", forCommissioner["explanation"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(id, (await coordinator.GetFromJsonAsync<JsonObject>($"/api/allocations/{allocationId}/explanation"))!["requestId"]!.GetValue<Guid>());
        Assert.Equal(HttpStatusCode.Forbidden, (await app.As("senco", urn: Urn).GetAsync($"/api/allocations/{allocationId}/explanation")).StatusCode);
    }

    [Fact]
    public async Task Choosing_other_than_the_suggestion_needs_a_reason_and_the_reason_is_recorded()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        using var administrator = app.As("administrator");
        await administrator.PutAsJsonAsync("/api/practitioners/ep-2", new { name = "Second EP", discipline = "EducationalPsychology", provider = "LocalAuthorityTeam", localities = new[] { "North" }, weeklyCapacityHours = 10, active = true });
        using var coordinator = app.As("coordinator");
        var (id, etag) = await RaiseAsync(app);
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/triage", Accept(), etag), HttpStatusCode.OK);
        var events = await app.EventCountAsync();

        var refused = await PostAsync(coordinator, $"/api/requests/{id}/allocations", new { practitionerId = "ep-2", discipline = "EducationalPsychology" }, etag);
        await ExpectAsync(refused, HttpStatusCode.BadRequest);
        Assert.Contains("suggests ep-1", (await refused.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["overrideReason"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(events, await app.EventCountAsync());

        await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/allocations", new { practitionerId = "ep-2", discipline = "EducationalPsychology", overrideReason = "ep-2 already works with this school's cluster." }, etag), HttpStatusCode.OK);

        var allocationId = await app.Database.ScalarAsync<Guid>("SELECT allocation_id FROM rm_allocations");
        var explanation = (await coordinator.GetFromJsonAsync<JsonObject>($"/api/allocations/{allocationId}/explanation"))!;
        Assert.Equal("ep-2 already works with this school's cluster.", explanation["overrideReason"]!.GetValue<string>());
        Assert.Contains("override", explanation["explanation"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, explanation["ranking"]!["rank"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_practitioner_away_all_week_has_no_capacity_to_suggest()
    {
        await using var app = await ServiceApp.StartAsync(); // Monday 5 October 2026
        await SeedReferenceDataAsync(app);
        using var coordinator = app.As("coordinator");
        var (id, etag) = await RaiseAsync(app);
        await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/triage", Accept(), etag), HttpStatusCode.OK);

        var away = await coordinator.PostAsJsonAsync($"/api/practitioners/{Ep}/absences", new { from = "2026-10-05", to = "2026-10-09", reason = "Annual leave" });
        Assert.Equal(HttpStatusCode.Created, away.StatusCode);
        var backwards = await coordinator.PostAsJsonAsync($"/api/practitioners/{Ep}/absences", new { from = "2026-10-09", to = "2026-10-05", reason = "Typo" });
        Assert.Equal(HttpStatusCode.BadRequest, backwards.StatusCode);

        var suggestions = (await coordinator.GetFromJsonAsync<JsonObject>($"/api/allocations/suggestions?requestId={id}"))!;
        Assert.Empty(suggestions["proposed"]!.AsArray());
        Assert.Equal(id, suggestions["waiting"]![0]!["requestId"]!.GetValue<Guid>());

        app.Clock.Advance(TimeSpan.FromDays(7)); // back next week
        Assert.Single((await coordinator.GetFromJsonAsync<JsonObject>($"/api/allocations/suggestions?requestId={id}"))!["proposed"]!.AsArray());
    }

    [Fact]
    public async Task Withdrawal_closure_and_reallocation_give_back_the_time_that_was_not_used()
    {
        await using var app = await ServiceApp.StartAsync(); // Monday 5 October 2026; ep-1 has 30 hours a week
        await SeedReferenceDataAsync(app);
        using var coordinator = app.As("coordinator");
        using var senco = app.As("senco", urn: Urn);
        var allocated = new List<(Guid Id, string ETag)>();
        for (var i = 0; i < 3; i++)
        {
            var (id, etag) = await RaiseAsync(app);
            etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/triage", Accept(), etag), HttpStatusCode.OK);
            etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/allocations", new { practitionerId = Ep, discipline = "EducationalPsychology", hours = 10, overrideReason = "A longer piece of work." }, etag), HttpStatusCode.OK);
            allocated.Add((id, etag));
        }

        var (waiting, waitingEtag) = await RaiseAsync(app);
        await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{waiting}/triage", Accept(), waitingEtag), HttpStatusCode.OK);
        async Task<JsonArray> Proposed() => (await coordinator.GetFromJsonAsync<JsonObject>($"/api/allocations/suggestions?requestId={waiting}"))!["proposed"]!.AsArray();
        Assert.Empty(await Proposed()); // 30 of 30 hours held

        // Withdrawn before any contact: all 10 hours come back.
        await ExpectAsync(await PostAsync(senco, $"/api/requests/{allocated[0].Id}/withdrawal", new { reason = "Resolved in school." }, allocated[0].ETag), HttpStatusCode.OK);
        Assert.Equal(Ep, (await Proposed()).Single()!["practitionerId"]!.GetValue<string>());
        Assert.Equal(20m, await HeldHoursAsync(app));

        // Closed after a 2-hour contact: only the 8 unused hours come back.
        using var practitioner = app.As("practitioner", practitioner: Ep);
        var etag1 = await ExpectAsync(await PostAsync(practitioner, $"/api/requests/{allocated[1].Id}/contacts", new { date = "2026-10-05", durationMinutes = 120, mode = "InPerson", attended = new[] { "Senco" } }, allocated[1].ETag), HttpStatusCode.OK);
        await ExpectAsync(await PostAsync(practitioner, $"/api/requests/{allocated[1].Id}/closure", new { outcome = "NeedsMetInSetting", note = "Done." }, etag1), HttpStatusCode.OK);
        Assert.Equal(12m, await HeldHoursAsync(app));

        // Reallocated to another EP: the first gives back all it held.
        using var administrator = app.As("administrator");
        await administrator.PutAsJsonAsync("/api/practitioners/ep-2", new { name = "Second EP", discipline = "EducationalPsychology", provider = "LocalAuthorityTeam", localities = new[] { "North" }, weeklyCapacityHours = 30, active = true });
        await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{allocated[2].Id}/allocations", new { practitionerId = "ep-2", discipline = "EducationalPsychology", hours = 10, overrideReason = "ep-1 is moving team." }, allocated[2].ETag), HttpStatusCode.OK);
        Assert.Equal(2m, await HeldHoursAsync(app, Ep));
        var view = (await coordinator.GetFromJsonAsync<JsonObject>($"/api/requests/{allocated[2].Id}"))!;
        Assert.Equal("ep-2", view["allocations"]!.AsArray().Single()!["practitionerId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Every_allocation_carries_the_id_its_explanation_is_read_by_and_a_commissioner_finds_them_by_setting()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        using var coordinator = app.As("coordinator");
        var (id, etag) = await RaiseAsync(app);
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/triage", Accept(), etag), HttpStatusCode.OK);
        var response = await PostAsync(coordinator, $"/api/requests/{id}/allocations", new { practitionerId = Ep, discipline = "EducationalPsychology" }, etag);
        await ExpectAsync(response, HttpStatusCode.OK);

        var allocationId = (await response.Content.ReadFromJsonAsync<JsonObject>())!["allocations"]!.AsArray().Single()!["allocationId"]!.GetValue<Guid>();
        Assert.Equal(allocationId, (await coordinator.GetFromJsonAsync<JsonObject>($"/api/requests/{id}"))!["allocations"]![0]!["allocationId"]!.GetValue<Guid>());
        var history = (await coordinator.GetFromJsonAsync<JsonArray>($"/api/requests/{id}/history"))!;
        Assert.Equal(allocationId, history.Single(h => h!["event"]!.GetValue<string>() == "practitioner-allocated")!["allocationId"]!.GetValue<Guid>());
        Assert.Equal(HttpStatusCode.OK, (await coordinator.GetAsync($"/api/allocations/{allocationId}/explanation")).StatusCode);

        // A commissioner starts from the equity report's settings, never from a request.
        using var commissioner = app.As("commissioner");
        await app.CatchUpProjectionsAsync();
        var equity = (await commissioner.GetFromJsonAsync<JsonObject>("/api/reports/equity?from=2026-09-01&to=2026-12-31"))!;
        var link = equity["settings"]!.AsArray().Single(s => s!["urn"]!.GetValue<string>() == Urn)!["allocations"]!.GetValue<string>();
        var listed = (await commissioner.GetFromJsonAsync<JsonArray>(link))!.Single()!;
        Assert.Equal(allocationId, listed["allocationId"]!.GetValue<Guid>());
        Assert.Null(listed["requestId"]);
        Assert.Contains("fair share", listed["explanation"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.As("senco", urn: Urn).GetAsync(link)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await commissioner.GetAsync("/api/allocations?setting=100000&from=2026-12-31&to=2026-01-01")).StatusCode);
    }

    [Fact]
    public async Task Coordinators_maintain_their_teams_capacity_and_settings_leads_cannot()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        object Ep3(decimal hours) => new { name = "Third EP", discipline = "EducationalPsychology", provider = "LocalAuthorityTeam", localities = new[] { "North" }, weeklyCapacityHours = hours, active = true };

        Assert.Equal(HttpStatusCode.Created, (await app.As("coordinator").PutAsJsonAsync("/api/practitioners/ep-3", Ep3(30))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.As("coordinator").PutAsJsonAsync("/api/practitioners/ep-3", Ep3(15))).StatusCode);
        using var csv = new StringContent("Id,Name,Discipline,Provider,Localities,WeeklyCapacityHours,Active\nep-4,Fourth EP,EducationalPsychology,LocalAuthorityTeam,North,22.5,yes\n", System.Text.Encoding.UTF8, "text/csv");
        Assert.Equal(HttpStatusCode.OK, (await app.As("coordinator").PostAsync("/api/practitioners/import", csv)).StatusCode);
        Assert.Equal(15m, (await app.As("coordinator").GetFromJsonAsync<JsonObject>("/api/practitioners/ep-3"))!["weeklyCapacityHours"]!.GetValue<decimal>());
        Assert.Equal(HttpStatusCode.Forbidden, (await app.As("senco", urn: Urn).PutAsJsonAsync("/api/practitioners/ep-3", Ep3(40))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.As("commissioner").PutAsJsonAsync("/api/practitioners/ep-3", Ep3(40))).StatusCode);
    }

    /// <summary>What the practitioner's allocations hold this week, as capacity and fair-share figures count it.</summary>
    private static Task<decimal> HeldHoursAsync(ServiceApp app, string practitioner = Ep) => app.Database.ScalarAsync<decimal>(
        $"SELECT coalesce(sum({ExpertsAtHand.Service.Features.Allocations.AllocationTime.HeldHours}), 0) FROM rm_allocations a WHERE practitioner_id = $1", practitioner);
}
