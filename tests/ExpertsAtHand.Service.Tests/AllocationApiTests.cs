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
}
