using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using static ExpertsAtHand.Service.Tests.ApiBuilders;

namespace ExpertsAtHand.Service.Tests;

public sealed class RequestApiTests
{
    [Fact]
    public async Task A_request_goes_from_raised_to_closed_over_http_and_its_history_tells_the_story()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        using var coordinator = app.As("coordinator");
        using var practitioner = app.As("practitioner", practitioner: Ep);

        var (id, etag) = await RaiseAsync(app);
        Assert.Equal("\"1\"", etag);

        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/triage", Accept(), etag), HttpStatusCode.OK);
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/allocations", new { practitionerId = Ep, discipline = "EducationalPsychology" }, etag), HttpStatusCode.OK);
        app.Clock.Advance(TimeSpan.FromDays(1));
        etag = await ExpectAsync(await PostAsync(practitioner, $"/api/requests/{id}/contacts", new { date = "2026-10-06", durationMinutes = 90, mode = "InPerson", attended = new[] { "Senco", "Teacher" } }, etag), HttpStatusCode.OK);
        var closed = await PostAsync(practitioner, $"/api/requests/{id}/closure", new { outcome = "NeedsMetInSetting", note = "Strategies in place; review at setting level." }, etag);
        await ExpectAsync(closed, HttpStatusCode.OK);

        var view = (await closed.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("Closed", view["status"]!.GetValue<string>());
        Assert.Equal("NeedsMetInSetting", view["outcome"]!.GetValue<string>());
        Assert.True(view["sla"]!["triageMet"]!.GetValue<bool>());
        Assert.Equal(1, view["sla"]!["firstContactWorkingDays"]!.GetValue<int>());

        var history = (await coordinator.GetFromJsonAsync<JsonArray>($"/api/requests/{id}/history"))!;
        Assert.Equal(
            ["request-raised", "triage-accepted", "triage-clock-stopped", "practitioner-allocated", "contact-recorded", "first-contact-recorded", "request-closed"],
            history.Select(h => h!["event"]!.GetValue<string>()));
        Assert.Equal("senco:user-1", history[0]!["actor"]!.GetValue<string>());

        var list = (await coordinator.GetFromJsonAsync<JsonObject>("/api/requests?status=Closed"))!;
        Assert.Equal(1, list["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task Each_request_gets_a_short_reference_of_its_own_shown_in_views_lists_and_the_queue_and_found_by_it()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        using var coordinator = app.As("coordinator");
        var year = app.Clock.GetUtcNow().Year;

        var (first, _) = await RaiseAsync(app);
        var (second, _) = await RaiseAsync(app); // raised in the same minute: still told apart

        var firstReference = (await coordinator.GetFromJsonAsync<JsonObject>($"/api/requests/{first}"))!["reference"]!.GetValue<string>();
        var secondReference = (await coordinator.GetFromJsonAsync<JsonObject>($"/api/requests/{second}"))!["reference"]!.GetValue<string>();
        Assert.Matches($"^[A-Z0-9]{{2,6}}-{year}-00001$", firstReference);
        Assert.Equal(firstReference[..^1] + "2", secondReference);

        var found = (await coordinator.GetFromJsonAsync<JsonObject>($"/api/requests?reference={secondReference.ToLowerInvariant()}"))!;
        Assert.Equal(second, Assert.Single(found["items"]!.AsArray())!["id"]!.GetValue<Guid>());
        Assert.Equal([firstReference, secondReference], (await coordinator.GetFromJsonAsync<JsonArray>("/api/triage-queue"))!.Select(q => q!["request"]!["reference"]!.GetValue<string>()).Order());
        var history = (await coordinator.GetFromJsonAsync<JsonArray>($"/api/requests/{first}/history"))!;
        Assert.StartsWith($"Raised as {firstReference} ", history[0]!["summary"]!.GetValue<string>(), StringComparison.Ordinal);

        var refused = await coordinator.GetAsync("/api/requests?reference=1%27%20OR%201=1");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.True((await refused.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject().ContainsKey("reference"));
        using var senco = app.As("senco", urn: OtherUrn); // another setting's SENCO finds nothing by a reference not theirs
        Assert.Equal(0, (await senco.GetFromJsonAsync<JsonObject>($"/api/requests?reference={firstReference}"))!["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task Commands_need_if_match_and_a_stale_version_is_412_and_writes_nothing()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        using var coordinator = app.As("coordinator");
        var (id, etag) = await RaiseAsync(app);

        await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/triage", Accept(), null), HttpStatusCode.PreconditionRequired);
        await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/triage", Accept(), "\"7\""), HttpStatusCode.PreconditionFailed);
        Assert.Equal(1L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM mt_events WHERE type = 'request-raised'"));

        await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/triage", Accept(), etag), HttpStatusCode.OK);
        await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/triage", Accept(), etag), HttpStatusCode.PreconditionFailed);
    }

    [Fact]
    public async Task Triage_of_an_already_triaged_request_is_a_409_saying_why()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        using var coordinator = app.As("coordinator");
        var (id, etag) = await RaiseAsync(app);
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/triage", Accept(), etag), HttpStatusCode.OK);
        var events = await app.EventCountAsync();

        var again = await PostAsync(coordinator, $"/api/requests/{id}/triage", new { decision = "Decline", rationale = "Below threshold.", signposting = "Universal offer." }, etag);

        await ExpectAsync(again, HttpStatusCode.Conflict);
        Assert.Contains("waiting for a practitioner", (await again.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(events, await app.EventCountAsync());
    }

    [Fact]
    public async Task Each_role_sees_and_does_only_what_its_scope_allows()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        var (mine, etag) = await RaiseAsync(app, Urn);
        var (theirs, _) = await RaiseAsync(app, OtherUrn);
        using var senco = app.As("senco", urn: Urn);
        using var coordinator = app.As("coordinator");
        using var allocated = app.As("practitioner", practitioner: Ep);
        using var unallocated = app.As("practitioner", practitioner: Salt);
        using var commissioner = app.As("commissioner");
        using var administrator = app.As("administrator");
        using var otherArea = app.As("coordinator", tenant: "another-area");

        // A SENCO sees their own setting's request, not another's, and cannot raise for another setting.
        Assert.Equal(HttpStatusCode.OK, (await senco.GetAsync($"/api/requests/{mine}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await senco.GetAsync($"/api/requests/{theirs}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await senco.GetAsync($"/api/requests/{theirs}/history")).StatusCode);
        Assert.Equal(1, (await senco.GetFromJsonAsync<JsonObject>("/api/requests"))!["total"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.Forbidden, (await senco.PostAsJsonAsync("/api/requests", RaiseBody(OtherUrn))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(senco, $"/api/requests/{mine}/triage", Accept(), etag)).StatusCode);

        // Coordinators see the whole area; the queue is theirs alone.
        Assert.Equal(2, (await coordinator.GetFromJsonAsync<JsonObject>("/api/requests"))!["total"]!.GetValue<int>());
        Assert.Equal(2, (await coordinator.GetFromJsonAsync<JsonArray>("/api/triage-queue"))!.Count);
        Assert.Equal(HttpStatusCode.Forbidden, (await senco.GetAsync("/api/triage-queue")).StatusCode);

        // Another local area's coordinator sees nothing of ours.
        Assert.Equal(HttpStatusCode.NotFound, (await otherArea.GetAsync($"/api/requests/{mine}")).StatusCode);
        Assert.Equal(0, (await otherArea.GetFromJsonAsync<JsonObject>("/api/requests"))!["total"]!.GetValue<int>());

        // Practitioners see only cases allocated to them.
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{mine}/triage", Accept(), etag), HttpStatusCode.OK);
        await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{mine}/allocations", new { practitionerId = Ep, discipline = "EducationalPsychology" }, etag), HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, (await allocated.GetAsync($"/api/requests/{mine}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await unallocated.GetAsync($"/api/requests/{mine}")).StatusCode);
        Assert.Equal(1, (await allocated.GetFromJsonAsync<JsonObject>("/api/requests"))!["total"]!.GetValue<int>());
        Assert.Equal(0, (await unallocated.GetFromJsonAsync<JsonObject>("/api/requests"))!["total"]!.GetValue<int>());

        // Commissioners and administrators get no child-level records at all; no token gets nothing.
        Assert.Equal(HttpStatusCode.Forbidden, (await commissioner.GetAsync($"/api/requests/{mine}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await commissioner.GetAsync("/api/requests")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await administrator.GetAsync($"/api/requests/{mine}/history")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.GetAsync($"/api/requests/{mine}")).StatusCode);
    }

    public static TheoryData<string, string, string> BadRaises() => new()
    {
        { "missing fields", """{"settingUrn":"100000"}""", "level" },
        { "unknown enum value", Swap("\"level\":\"WholeSetting\"", "\"level\":\"Everything\""), "level" },
        { "integer for an enum", Swap("\"level\":\"WholeSetting\"", "\"level\":1"), "level" },
        { "oversized text", Swap("Several pupils", new string('x', 4_100)), "needsSummary" },
        { "unknown setting", Swap("\"settingUrn\":\"100000\"", "\"settingUrn\":\"999999\""), "settingUrn" },
        { "malformed JSON", "{\"settingUrn\": \"100000\",", "body" },
        { "a child's name as reference", """{"settingUrn":"100000","level":"Individual","disciplines":["EducationalPsychology"],"areasOfNeed":["CognitionAndLearning"],"needsSummary":"n","actionTaken":"a","urgency":"High","child":{"reference":"Jane Smith","yearGroup":3,"senStatus":"SenSupport","parentalConsent":true}}""", "child.reference" },
        { "no parental consent", """{"settingUrn":"100000","level":"Individual","disciplines":["EducationalPsychology"],"areasOfNeed":["CognitionAndLearning"],"needsSummary":"n","actionTaken":"a","urgency":"High","child":{"reference":"Y3-0042","yearGroup":3,"senStatus":"SenSupport","parentalConsent":false}}""", "child.parentalConsent" },
        { "a field we do not know", Swap("\"urgency\":\"Routine\"", "\"urgency\":\"Routine\",\"dateOfBirth\":\"2019-01-01\""), "dateOfBirth" },
    };

    [Theory]
    [MemberData(nameof(BadRaises))]
    public async Task Bad_input_is_a_400_naming_the_field_and_writes_nothing(string why, string json, string field)
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        using var coordinator = app.As("coordinator"); // raises for any setting, so an unknown one reaches validation
        var before = await app.EventCountAsync();

        var response = await coordinator.PostAsync("/api/requests", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{why}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(problem["errors"]!.AsObject().ContainsKey(field), $"{why}: expected the field '{field}' to be named in {problem["errors"]}");
        Assert.Equal(before, await app.EventCountAsync());
    }

    [Fact]
    public async Task Allocating_an_unknown_practitioner_or_the_wrong_discipline_is_a_400()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        using var coordinator = app.As("coordinator");
        var (id, etag) = await RaiseAsync(app);
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/triage", Accept(), etag), HttpStatusCode.OK);

        var unknown = await PostAsync(coordinator, $"/api/requests/{id}/allocations", new { practitionerId = "ep-404", discipline = "EducationalPsychology" }, etag);
        var wrong = await PostAsync(coordinator, $"/api/requests/{id}/allocations", new { practitionerId = Salt, discipline = "EducationalPsychology" }, etag);

        await ExpectAsync(unknown, HttpStatusCode.BadRequest);
        Assert.Contains("practitionerId", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await ExpectAsync(wrong, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_triage_queue_puts_urgent_first_then_the_least_time_left()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        using var senco = app.As("senco", urn: Urn);
        using var coordinator = app.As("coordinator");
        await ExpectAsync(await senco.PostAsJsonAsync("/api/requests", RaiseBody(urgency: "Routine")), HttpStatusCode.Created);
        app.Clock.Advance(TimeSpan.FromDays(1));
        await ExpectAsync(await senco.PostAsJsonAsync("/api/requests", RaiseBody(urgency: "Routine")), HttpStatusCode.Created);
        await ExpectAsync(await senco.PostAsJsonAsync("/api/requests", RaiseBody(urgency: "Urgent")), HttpStatusCode.Created);

        var queue = (await coordinator.GetFromJsonAsync<JsonArray>("/api/triage-queue"))!;

        Assert.Equal(["Urgent", "Routine", "Routine"], queue.Select(q => q!["request"]!["urgency"]!.GetValue<string>()));
        Assert.Equal([5, 4, 5], queue.Select(q => q!["workingDaysLeft"]!.GetValue<int>()));
    }

    private static string Swap(string from, string to) => RaiseBody().ToJsonString().Replace(from, to, StringComparison.Ordinal);
}
