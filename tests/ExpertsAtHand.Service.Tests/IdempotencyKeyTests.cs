using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static ExpertsAtHand.Service.Tests.ApiBuilders;

namespace ExpertsAtHand.Service.Tests;

/// <summary>Creates sent again under the same Idempotency-Key: the first answer back, nothing created twice.</summary>
public sealed class IdempotencyKeyTests
{
    [Fact]
    public async Task A_create_sent_again_under_its_key_gets_the_first_answer_and_creates_nothing_more()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        using var senco = app.As("senco", urn: Urn);

        var first = await RaiseAsync(senco, "raise-7f3c", RaiseBody());
        var again = await RaiseAsync(senco, "raise-7f3c", RaiseBody());

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await again.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.Location, again.Headers.Location);
        Assert.Equal(first.Headers.ETag, again.Headers.ETag);
        Assert.Equal(["true"], again.Headers.GetValues("Idempotent-Replayed"));
        Assert.Equal(1L, await RaisedAsync(app));

        var otherBody = await RaiseAsync(senco, "raise-7f3c", RaiseBody(urgency: "Urgent"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, otherBody.StatusCode);
        Assert.Equal(1L, await RaisedAsync(app));

        using var otherSenco = app.As("senco", urn: Urn, subject: "user-2"); // a key is its caller's own
        Assert.Equal(HttpStatusCode.Created, (await RaiseAsync(otherSenco, "raise-7f3c", RaiseBody())).StatusCode);
        Assert.Equal(2L, await RaisedAsync(app));
    }

    [Fact]
    public async Task A_refused_create_keeps_nothing_so_the_corrected_body_goes_through_under_the_same_key()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        using var senco = app.As("senco", urn: Urn);
        var incomplete = RaiseBody();
        incomplete.Remove("needsSummary");

        Assert.Equal(HttpStatusCode.BadRequest, (await RaiseAsync(senco, "k-1", incomplete)).StatusCode);
        var corrected = await RaiseAsync(senco, "k-1", RaiseBody());

        Assert.Equal(HttpStatusCode.Created, corrected.StatusCode);
        Assert.False(corrected.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1L, await RaisedAsync(app));
    }

    [Fact]
    public async Task An_attempt_that_died_before_answering_is_taken_over_and_answers_with_what_it_created()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        using var senco = app.As("senco", urn: Urn);
        var first = await (await RaiseAsync(senco, "k-2", RaiseBody())).Content.ReadFromJsonAsync<JsonObject>();
        // What a node killed after the commit and before the answer was kept leaves behind.
        await app.Database.ExecuteAsync("UPDATE idempotency_keys SET status = NULL, body = NULL WHERE key = 'k-2'");

        var meanwhile = await RaiseAsync(senco, "k-2", RaiseBody());
        Assert.Equal(HttpStatusCode.Conflict, meanwhile.StatusCode); // within the lease: still being answered, as far as anyone knows
        Assert.NotNull(meanwhile.Headers.RetryAfter);

        app.Clock.Advance(TimeSpan.FromSeconds(31));
        var retried = await RaiseAsync(senco, "k-2", RaiseBody());

        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        Assert.Equal(first!["id"]!.GetValue<Guid>(), (await retried.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>());
        Assert.Equal(1L, await RaisedAsync(app));
    }

    [Fact]
    public async Task A_key_is_forgotten_after_a_day_and_then_names_a_new_create()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        using var coordinator = app.As("coordinator");
        var first = await ScheduleAsync(coordinator, "clinic-1");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(first.Headers.Location, (await ScheduleAsync(coordinator, "clinic-1")).Headers.Location);

        app.Clock.Advance(TimeSpan.FromHours(25));
        var later = await ScheduleAsync(coordinator, "clinic-1");

        Assert.Equal(HttpStatusCode.Created, later.StatusCode);
        Assert.NotEqual(first.Headers.Location, later.Headers.Location);
        Assert.Equal(2L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM mt_events WHERE type = 'clinic-scheduled'"));
        Assert.Equal(1L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM idempotency_keys"));
    }

    [Fact]
    public async Task An_absence_recorded_again_under_its_key_is_recorded_once()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        using var coordinator = app.As("coordinator");
        var absence = new { from = "2026-10-12", to = "2026-10-13", reason = "Training" };

        var first = await SendAsync(coordinator, $"/api/practitioners/{Ep}/absences", "away-1", absence);
        await app.Database.ExecuteAsync("UPDATE idempotency_keys SET status = NULL, body = NULL, attempt_at = attempt_at - interval '1 minute'"); // as if the node died before answering
        var again = await SendAsync(coordinator, $"/api/practitioners/{Ep}/absences", "away-1", absence);

        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal((await first.Content.ReadFromJsonAsync<JsonObject>())!["absenceId"]!.GetValue<Guid>(), (await again.Content.ReadFromJsonAsync<JsonObject>())!["absenceId"]!.GetValue<Guid>());
        Assert.Equal(1L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM mt_events WHERE type = 'practitioner-absence-recorded'"));
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("two, keys")]
    [InlineData("an-over-long-key-an-over-long-key-an-over-long-key-an-over-long-key-an-over-long-key-an-over-long-key")]
    public async Task A_key_that_is_not_one_visible_token_is_refused_naming_the_header(string key)
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        using var senco = app.As("senco", urn: Urn);

        var refused = await RaiseAsync(senco, key, RaiseBody());

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.True((await refused.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject().ContainsKey("Idempotency-Key"));
        Assert.Equal(0L, await RaisedAsync(app));
    }

    private static Task<HttpResponseMessage> RaiseAsync(HttpClient client, string key, JsonObject body) => SendAsync(client, "/api/requests", key, body);

    private static Task<HttpResponseMessage> ScheduleAsync(HttpClient client, string key) => SendAsync(client, "/api/clinics", key, ClinicBody());

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string path, string key, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        return await client.SendAsync(request);
    }

    private static Task<long> RaisedAsync(ServiceApp app) => app.Database.ScalarAsync<long>("SELECT count(*) FROM mt_events WHERE type = 'request-raised'");
}
