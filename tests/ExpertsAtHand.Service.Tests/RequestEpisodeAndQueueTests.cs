using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static ExpertsAtHand.Service.Tests.ApiBuilders;

namespace ExpertsAtHand.Service.Tests;

public sealed class RequestEpisodeAndQueueTests : SeededServiceTest
{
    [Fact]
    public async Task A_reopened_request_speaks_of_its_new_episode_and_the_history_keeps_the_earlier_one()
    {
        var app = App; // Monday 5 October 2026; two settings, two practitioners
        using var coordinator = app.As("coordinator");
        using var practitioner = app.As("practitioner", practitioner: Ep);
        var (id, etag) = await RaiseAsync(app);
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/triage", Accept(), etag), HttpStatusCode.OK);
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/allocations", new { practitionerId = Ep, discipline = "EducationalPsychology" }, etag), HttpStatusCode.OK);
        etag = await ExpectAsync(await PostAsync(practitioner, $"/api/requests/{id}/contacts", new { date = "2026-10-05", durationMinutes = 60, mode = "InPerson", attended = new[] { "Senco" } }, etag), HttpStatusCode.OK);
        etag = await ExpectAsync(await PostAsync(practitioner, $"/api/requests/{id}/closure", new { outcome = "NeedsMetInSetting", note = "Strategies in place." }, etag), HttpStatusCode.OK);
        app.Clock.Advance(TimeSpan.FromDays(7));
        var reopened = await PostAsync(coordinator, $"/api/requests/{id}/reopening", new { reason = "New concerns at review." }, etag);
        await ExpectAsync(reopened, HttpStatusCode.OK);

        var view = (await coordinator.GetFromJsonAsync<JsonObject>($"/api/requests/{id}"))!;
        Assert.Equal("AwaitingTriage", view["status"]!.GetValue<string>());
        Assert.Equal(2, view["episode"]!.GetValue<int>());
        Assert.Equal(app.Clock.GetUtcNow(), view["reopenedAt"]!.GetValue<DateTimeOffset>());
        Assert.Null(view["priority"]);
        Assert.Null(view["supportType"]);
        Assert.Null(view["outcome"]);
        Assert.Empty(view["allocations"]!.AsArray());
        Assert.Empty(view["contacts"]!.AsArray());
        var sla = view["sla"]!;
        Assert.Null(sla["triageWorkingDays"]);
        Assert.Null(sla["triageMet"]);
        Assert.Null(sla["firstContactMet"]);
        Assert.False(sla["breached"]!.GetValue<bool>());
        Assert.Equal("2026-10-19", sla["triageDueBy"]!.GetValue<string>()); // five working days from the reopening

        var queued = (await coordinator.GetFromJsonAsync<JsonArray>("/api/triage-queue"))!.Single()!;
        Assert.Equal(app.Clock.GetUtcNow(), queued["request"]!["reopenedAt"]!.GetValue<DateTimeOffset>());
        Assert.Null(queued["request"]!["priority"]);
        Assert.Equal(5, queued["workingDaysLeft"]!.GetValue<int>());

        var history = (await coordinator.GetFromJsonAsync<JsonArray>($"/api/requests/{id}/history"))!;
        Assert.Contains(history, h => h!["event"]!.GetValue<string>() == "triage-accepted");
        Assert.Contains(history, h => h!["event"]!.GetValue<string>() == "contact-recorded");
        Assert.Equal("request-reopened", history[^1]!["event"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_paused_request_keeps_the_days_it_had_left_and_waits_apart_from_the_active_ones()
    {
        var app = App; // Monday 5 October 2026; two settings, two practitioners
        using var coordinator = app.As("coordinator");
        var (paused, etag) = await RaiseAsync(app); // routine: triage due Monday 12 October
        app.Clock.Advance(TimeSpan.FromDays(2)); // Wednesday: 3 working days left
        await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{paused}/information-requests", new { question = "Please share the support plan." }, etag), HttpStatusCode.OK);
        app.Clock.Advance(TimeSpan.FromDays(12)); // Monday 19 October, a week past the original due date
        var (active, _) = await RaiseAsync(app);

        var queue = (await coordinator.GetFromJsonAsync<JsonArray>("/api/triage-queue"))!;
        Assert.Equal([active, paused], queue.Select(q => q!["request"]!["id"]!.GetValue<Guid>()));
        var entry = queue[1]!;
        Assert.True(entry["waitingForInformation"]!.GetValue<bool>());
        Assert.Equal("2026-10-07", entry["request"]!["pausedOn"]!.GetValue<string>());
        Assert.Equal(3, entry["workingDaysLeft"]!.GetValue<int>()); // frozen at the pause, never negative while paused
        Assert.False(entry["request"]!["breached"]!.GetValue<bool>());
        Assert.Null(queue[0]!["request"]!["pausedOn"]);
    }
}
