using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ExpertsAtHand.Domain.Feedback;
using ExpertsAtHand.Domain.Requests;
using Microsoft.Extensions.DependencyInjection;
using static ExpertsAtHand.Service.Tests.ApiBuilders;

namespace ExpertsAtHand.Service.Tests;

/// <summary>Satisfaction: feedback from settings and families after support, and what the area reports of it.</summary>
public sealed class SatisfactionTests
{
    [Fact]
    public async Task A_setting_answers_once_per_episode_after_closure_and_may_amend_for_thirty_days()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        var (id, etag) = await RaiseAsync(app);
        using var senco = app.As("senco", urn: Urn);
        using var otherSenco = app.As("senco", urn: OtherUrn);
        using var coordinator = app.As("coordinator");
        var answer = new { rating = "Satisfied", adviceUsed = true, comment = "Clear advice, quickly." };

        Assert.Equal(HttpStatusCode.Conflict, (await senco.PostAsJsonAsync($"/api/requests/{id}/feedback", answer)).StatusCode); // not closed yet
        etag = await AcceptAndCloseAsync(app, id, etag, "NeedsMetInSetting");
        var badRating = await senco.PostAsJsonAsync($"/api/requests/{id}/feedback", new { rating = "Delighted" });
        Assert.Equal(HttpStatusCode.BadRequest, badRating.StatusCode);
        Assert.Contains("rating", await badRating.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.BadRequest, (await senco.PostAsJsonAsync($"/api/requests/{id}/feedback", new { adviceUsed = true })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await otherSenco.PostAsJsonAsync($"/api/requests/{id}/feedback", answer)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await coordinator.PostAsJsonAsync($"/api/requests/{id}/feedback", answer)).StatusCode);

        var given = await senco.PostAsJsonAsync($"/api/requests/{id}/feedback", answer);
        Assert.Equal(HttpStatusCode.Created, given.StatusCode);
        Assert.Equal("Satisfied", (await given.Content.ReadFromJsonAsync<JsonArray>())!.Single()!["rating"]!.GetValue<string>());
        var again = await senco.PostAsJsonAsync($"/api/requests/{id}/feedback", answer);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("amend it instead", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        app.Clock.Advance(TimeSpan.FromDays(29));
        var amended = await senco.PutAsJsonAsync($"/api/requests/{id}/feedback", new { rating = "VerySatisfied", adviceUsed = true });
        Assert.Equal(HttpStatusCode.OK, amended.StatusCode);
        var view = (await amended.Content.ReadFromJsonAsync<JsonArray>())!.Single()!;
        Assert.Equal("VerySatisfied", view["rating"]!.GetValue<string>());
        Assert.NotNull(view["amendedAt"]);
        app.Clock.Advance(TimeSpan.FromDays(2)); // 31 days after it was given
        Assert.Equal(HttpStatusCode.Conflict, (await senco.PutAsJsonAsync($"/api/requests/{id}/feedback", new { rating = "Dissatisfied" })).StatusCode);

        // Reopened and closed again: a new episode of support, asked about afresh.
        etag = (await coordinator.GetAsync($"/api/requests/{id}")).Headers.ETag!.Tag;
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/reopening", new { reason = "Needs returned." }, etag), HttpStatusCode.OK);
        await AcceptAndCloseAsync(app, id, etag, "ContinuingWithUniversalSupport");
        Assert.Equal(HttpStatusCode.Created, (await senco.PostAsJsonAsync($"/api/requests/{id}/feedback", new { rating = "NeitherSatisfiedNorDissatisfied" })).StatusCode);
        var all = (await coordinator.GetFromJsonAsync<JsonArray>($"/api/requests/{id}/feedback"))!;
        Assert.Equal([1, 2], all.Select(f => f!["episode"]!.GetValue<int>()));
        Assert.Equal(HttpStatusCode.NotFound, (await otherSenco.GetAsync($"/api/requests/{id}/feedback")).StatusCode);
    }

    [Fact]
    public async Task A_family_code_works_once_within_thirty_days_and_a_forged_expired_or_another_areas_code_is_refused()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        using var senco = app.As("senco", urn: Urn);
        using var family = app.Host.Server.CreateClient(); // no account, no token
        var first = await ClosedChildRequestAsync(app, "FAM-101");
        var invitation = await InviteAsync(senco, first);
        var code = invitation["code"]!.GetValue<string>();

        var form = await family.GetAsync($"/api/family-feedback/{code}");
        var formText = await form.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        Assert.DoesNotContain("FAM-101", formText, StringComparison.Ordinal);

        // The form holds nothing about the family: a field for their e-mail is refused, not stored.
        Assert.Equal(HttpStatusCode.BadRequest, (await family.PostAsJsonAsync($"/api/family-feedback/{code}", new { rating = "Satisfied", email = "parent@example.com" })).StatusCode);
        var forged = code[..^2] + (code[^2] == 'A' ? "BB" : "AA");
        Assert.Equal(HttpStatusCode.NotFound, (await family.PostAsJsonAsync($"/api/family-feedback/{forged}", new { rating = "Satisfied" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await family.PostAsJsonAsync($"/api/family-feedback/{AnotherArea(code)}", new { rating = "Satisfied" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await family.PostAsJsonAsync("/api/family-feedback/ZZZZZ-ZZZZZ", new { rating = "Satisfied" })).StatusCode);

        var given = await family.PostAsJsonAsync($"/api/family-feedback/{code}", new { rating = "VerySatisfied", comment = "They listened to us." });
        Assert.Equal(HttpStatusCode.Created, given.StatusCode);
        var used = await family.PostAsJsonAsync($"/api/family-feedback/{code}", new { rating = "Dissatisfied" });
        Assert.Equal(HttpStatusCode.Conflict, used.StatusCode);
        Assert.Contains("already been used", await used.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, (await family.PostAsJsonAsync($"/api/family-feedback/{invitation["shortCode"]!.GetValue<string>()}", new { rating = "Dissatisfied" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await senco.PostAsync($"/api/requests/{first}/family-feedback-invitations", null)).StatusCode);

        // The printable short code works typed by hand (any case, without its dash), once.
        var second = await ClosedChildRequestAsync(app, "FAM-102");
        var shortCode = (await InviteAsync(senco, second))["shortCode"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.Created, (await family.PostAsJsonAsync($"/api/family-feedback/{shortCode.Replace("-", string.Empty, StringComparison.Ordinal).ToLowerInvariant()}", new { rating = "Satisfied" })).StatusCode);

        // A code replaced by a newer one stops working; any code stops after 30 days.
        var third = await ClosedChildRequestAsync(app, "FAM-103");
        var replaced = (await InviteAsync(senco, third))["code"]!.GetValue<string>();
        var latest = (await InviteAsync(senco, third))["code"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.Conflict, (await family.PostAsJsonAsync($"/api/family-feedback/{replaced}", new { rating = "Satisfied" })).StatusCode);
        app.Clock.Advance(TimeSpan.FromDays(31));
        Assert.Equal(HttpStatusCode.Gone, (await family.GetAsync($"/api/family-feedback/{latest}")).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await family.PostAsJsonAsync($"/api/family-feedback/{latest}", new { rating = "Satisfied" })).StatusCode);

        // A whole-setting request has no family to ask.
        var (setting, etag) = await RaiseAsync(app);
        await AcceptAndCloseAsync(app, setting, etag, "NeedsMetInSetting");
        Assert.Equal(HttpStatusCode.Conflict, (await senco.PostAsync($"/api/requests/{setting}/family-feedback-invitations", null)).StatusCode);
        var feedback = (await senco.GetFromJsonAsync<JsonArray>($"/api/requests/{first}/feedback"))!.Single()!;
        Assert.Equal("Family", feedback["source"]!.GetValue<string>());
        Assert.Equal("They listened to us.", feedback["comment"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_satisfaction_report_equals_a_fold_over_the_events_and_commissioners_see_small_counts_hidden()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        using var primary = app.As("senco", urn: Urn);
        using var secondary = app.As("senco", urn: OtherUrn);
        using var family = app.Host.Server.CreateClient();
        var ids = new List<Guid>();
        string[] ratings = ["VerySatisfied", "Satisfied", "Dissatisfied", "Satisfied", "NeitherSatisfiedNorDissatisfied", "VeryDissatisfied", "Satisfied"];
        for (var i = 0; i < 9; i++)
        {
            var urn = i % 3 == 0 ? OtherUrn : Urn;
            var id = await ClosedChildRequestAsync(app, $"RPT-{i:000}", urn);
            ids.Add(id);
            var senco = urn == Urn ? primary : secondary;
            if (i < ratings.Length)
            {
                Assert.Equal(HttpStatusCode.Created, (await senco.PostAsJsonAsync($"/api/requests/{id}/feedback", new { rating = ratings[i], adviceUsed = i % 2 == 0 })).StatusCode);
            }

            if (i % 2 == 0)
            {
                var code = (await InviteAsync(senco, id))["code"]!.GetValue<string>();
                if (i % 4 == 0)
                {
                    Assert.Equal(HttpStatusCode.Created, (await family.PostAsJsonAsync($"/api/family-feedback/{code}", new { rating = ratings[(i + 1) % ratings.Length] })).StatusCode);
                }
            }
        }

        await app.CatchUpProjectionsAsync();
        using var coordinator = app.As("coordinator");
        const string Period = "from=2026-09-01&to=2026-12-31";
        var report = (await coordinator.GetFromJsonAsync<JsonObject>($"/api/reports/satisfaction?{Period}"))!;

        // The same figures straight from the events: each request's stream folded by hand.
        var store = app.Services.GetRequiredService<Marten.IDocumentStore>();
        await using var session = store.QuerySession(ServiceApp.Tenant);
        var expected = new Dictionary<string, (long Asked, long Responses, long Satisfied, long Invited, long FamilyResponses, long FamilySatisfied)>();
        foreach (var id in ids)
        {
            var events = (await session.Events.FetchStreamAsync(id)).Select(e => e.Data).ToList();
            var phase = events.OfType<RequestRaised>().Single().SettingUrn == Urn ? "Primary" : "Secondary";
            foreach (var key in new[] { "All", phase })
            {
                var (asked, responses, satisfied, invited, familyResponses, familySatisfied) = expected.GetValueOrDefault(key);
                bool Satisfied(SatisfactionRating r) => r is SatisfactionRating.VerySatisfied or SatisfactionRating.Satisfied;
                var setting = events.OfType<SettingFeedbackGiven>().ToList();
                var families = events.OfType<FamilyFeedbackGiven>().ToList();
                expected[key] = (
                    asked + events.OfType<RequestClosed>().Count(),
                    responses + setting.Count,
                    satisfied + setting.Count(s => Satisfied(s.Rating)),
                    invited + (events.OfType<FamilyFeedbackInvited>().Any() ? 1 : 0),
                    familyResponses + families.Count,
                    familySatisfied + families.Count(f => Satisfied(f.Rating)));
            }
        }

        void Check(JsonNode row, string key)
        {
            var (asked, responses, satisfied, invited, familyResponses, familySatisfied) = expected[key];
            Assert.Equal(asked, row["settings"]!["asked"]!.GetValue<long>());
            Assert.Equal(responses, row["settings"]!["responses"]!.GetValue<long>());
            Assert.Equal(satisfied, row["settings"]!["satisfied"]!.GetValue<long>());
            Assert.Equal(Math.Round((double)satisfied / responses, 3), row["settings"]!["shareSatisfied"]!.GetValue<double>());
            Assert.Equal(Math.Round((double)responses / asked, 3), row["settings"]!["responseRate"]!.GetValue<double>());
            Assert.Equal(invited, row["families"]!["asked"]!.GetValue<long>());
            Assert.Equal(familyResponses, row["families"]!["responses"]!.GetValue<long>());
            Assert.Equal(familySatisfied, row["families"]!["satisfied"]!.GetValue<long>());
        }

        Check(report["total"]!, "All");
        foreach (var phase in new[] { "Primary", "Secondary" })
        {
            Check(report["rows"]!.AsArray().Single(r => r!["dimension"]!.GetValue<string>() == "phase" && r["value"]!.GetValue<string>() == phase)!, phase);
        }

        Assert.Contains(report["rows"]!.AsArray(), r => r!["dimension"]!.GetValue<string>() == "provider" && r["value"]!.GetValue<string>() == "LocalAuthorityTeam");
        var asOf = (await coordinator.GetFromJsonAsync<JsonObject>($"/api/reports/satisfaction?{Period}&asOf=2026-10-05"))!;
        Assert.Equal(report["total"]!.ToJsonString(), asOf["total"]!.ToJsonString());

        // Commissioners: 3 secondary episodes and 1–4 family answers are small numbers, hidden with their rates.
        using var commissioner = app.As("commissioner");
        var hidden = (await commissioner.GetFromJsonAsync<JsonObject>($"/api/reports/satisfaction?{Period}"))!;
        var secondaryRow = hidden["rows"]!.AsArray().Single(r => r!["dimension"]!.GetValue<string>() == "phase" && r["value"]!.GetValue<string>() == "Secondary")!;
        Assert.Null(secondaryRow["settings"]!["asked"]);
        Assert.Null(secondaryRow["settings"]!["responseRate"]);
        Assert.Null(hidden["total"]!["families"]!["responses"]);
        Assert.Null(hidden["total"]!["families"]!["shareSatisfied"]);
        Assert.Equal(expected["All"].Asked, hidden["total"]!["settings"]!["asked"]!.GetValue<long>());
        Assert.NotNull(hidden["suppression"]);

        var quarterly = await coordinator.GetStringAsync("/api/reports/quarterly-return?quarter=2026-Q4&format=csv");
        Assert.Contains($"2026-Q4,All,All,settings_feedback_responses,{expected["All"].Responses}", quarterly, StringComparison.Ordinal);
        Assert.Contains("2026-Q4,All,All,families_feedback_responses,c", quarterly, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Comments_are_sealed_and_erased_with_the_child_and_commissioners_read_themes_and_what_was_done_never_the_words()
    {
        await using var app = await ServiceApp.StartAsync(arguments: [$"--Notify:SettingMailboxes:{Urn}=senco@aldgate.example.sch.uk"]);
        await SeedReferenceDataAsync(app);
        using var senco = app.As("senco", urn: Urn);
        using var coordinator = app.As("coordinator");
        using var commissioner = app.As("commissioner");
        using var family = app.Host.Server.CreateClient();
        var id = await ClosedChildRequestAsync(app, "CMT-501");

        // The setting is asked by e-mail when the request closes: its reference, nothing about the child.
        for (var i = 0; i < 100 && !app.Notify.Sent.Any(s => s.EmailAddress == "senco@aldgate.example.sch.uk"); i++)
        {
            await Task.Delay(100);
        }

        var asked = Assert.Single(app.Notify.Sent, s => s.EmailAddress == "senco@aldgate.example.sch.uk");
        Assert.Equal(["request_reference"], asked.Personalisation.Keys);
        Assert.Equal((await coordinator.GetFromJsonAsync<JsonObject>($"/api/requests/{id}"))!["reference"]!.GetValue<string>(), asked.Personalisation["request_reference"]);

        var given = await senco.PostAsJsonAsync($"/api/requests/{id}/feedback", new { rating = "Dissatisfied", comment = "COMMENT-MARKER the wait was long" });
        var feedbackId = (await given.Content.ReadFromJsonAsync<JsonArray>())!.Single()!["feedbackId"]!.GetValue<Guid>();
        var code = (await InviteAsync(senco, id))["code"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.Created, (await family.PostAsJsonAsync($"/api/family-feedback/{code}", new { rating = "Satisfied", comment = "FAMILY-MARKER kind people" })).StatusCode);
        Assert.Empty(await PlainTextSweep.FindAsync(app.Database, "COMMENT-MARKER"));
        Assert.Empty(await PlainTextSweep.FindAsync(app.Database, "FAMILY-MARKER"));

        Assert.Equal(HttpStatusCode.Forbidden, (await senco.PutAsJsonAsync($"/api/requests/{id}/feedback/{feedbackId}/themes", new { themes = new[] { "Timeliness" } })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await coordinator.PutAsJsonAsync($"/api/requests/{id}/feedback/{Guid.NewGuid()}/themes", new { themes = new[] { "Timeliness" } })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await coordinator.PutAsJsonAsync($"/api/requests/{id}/feedback/{feedbackId}/themes", new { themes = new[] { "Timeliness", "Communication" } })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await commissioner.PostAsJsonAsync("/api/you-said-we-did", new { theme = "Timeliness", youSaid = "Waits were long.", weDid = "Added a weekly triage slot." })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await coordinator.PostAsJsonAsync("/api/you-said-we-did", new { theme = "Timeliness", youSaid = "" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await coordinator.PostAsJsonAsync("/api/you-said-we-did", new { theme = "Timeliness", youSaid = "Waits for triage were long.", weDid = "Added a second weekly triage meeting." })).StatusCode);
        await app.CatchUpProjectionsAsync();

        foreach (var path in new[] { "/api/reports/satisfaction?from=2026-09-01&to=2026-12-31", "/api/reports/quarterly-return?quarter=2026-Q4&format=csv", "/api/you-said-we-did" })
        {
            var text = await commissioner.GetStringAsync(path);
            Assert.DoesNotContain("MARKER", text, StringComparison.Ordinal);
        }

        var report = (await commissioner.GetFromJsonAsync<JsonObject>("/api/reports/satisfaction?from=2026-09-01&to=2026-12-31"))!;
        Assert.Equal(["Communication", "Timeliness"], report["themes"]!.AsArray().Select(t => t!["theme"]!.GetValue<string>()));
        Assert.Equal("Added a second weekly triage meeting.", report["youSaidWeDid"]!.AsArray().Single()!["weDid"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Forbidden, (await commissioner.GetAsync($"/api/requests/{id}/feedback")).StatusCode);

        using var admin = app.As("administrator");
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync($"/api/requests/{id}/erasure", new { grounds = "RightToErasure" })).StatusCode);
        var after = (await coordinator.GetFromJsonAsync<JsonArray>($"/api/requests/{id}/feedback"))!;
        Assert.All(after, f => Assert.Equal("[erased]", f!["comment"]!.GetValue<string>()));
        Assert.Equal(["Dissatisfied", "Satisfied"], after.Select(f => f!["rating"]!.GetValue<string>()));
    }

    private static async Task<JsonObject> InviteAsync(HttpClient senco, Guid id)
    {
        var invited = await senco.PostAsync($"/api/requests/{id}/family-feedback-invitations", null);
        var body = (await invited.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(invited.StatusCode == HttpStatusCode.Created, body.ToJsonString());
        return body;
    }

    /// <summary>The code as if it had been issued for another area: the same signature over different words.</summary>
    private static string AnotherArea(string code)
    {
        var parts = code.Split('.');
        var payload = Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(parts[0])).Replace(ServiceApp.Tenant, "other-area", StringComparison.Ordinal);
        return $"{System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload))}.{parts[1]}";
    }

    private static async Task<Guid> ClosedChildRequestAsync(ServiceApp app, string reference, string urn = Urn)
    {
        using var senco = app.As("senco", urn: urn);
        var raised = await senco.PostAsJsonAsync("/api/requests", RaiseBody(urn, level: "Individual", child: new { reference, yearGroup = 3, senStatus = "SenSupport", parentalConsent = true }));
        Assert.Equal(HttpStatusCode.Created, raised.StatusCode);
        var id = (await raised.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
        using var coordinator = app.As("coordinator");
        using var practitioner = app.As("practitioner", practitioner: Ep);
        var etag = raised.Headers.ETag!.Tag;
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/triage", Accept(), etag), HttpStatusCode.OK);
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/allocations", new { practitionerId = Ep, discipline = "EducationalPsychology", overrideReason = "Test arrangement." }, etag), HttpStatusCode.OK);
        etag = await ExpectAsync(await PostAsync(practitioner, $"/api/requests/{id}/contacts", new { date = "2026-10-05", durationMinutes = 60, mode = "InPerson", attended = new[] { "Senco" } }, etag), HttpStatusCode.OK);
        await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/closure", new { outcome = "NeedsMetInSetting", note = "Done." }, etag), HttpStatusCode.OK);
        return id;
    }
}
