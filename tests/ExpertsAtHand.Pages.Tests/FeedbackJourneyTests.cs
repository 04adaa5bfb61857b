using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ExpertsAtHand.Service.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ExpertsAtHand.Pages.Tests;

/// <summary>After support: the SENCO says how it went and hands the family a code; the family answers on their own page, without an account.</summary>
public sealed class FeedbackJourneyTests(PagesService service) : IClassFixture<PagesService>
{
    [Fact]
    public async Task A_senco_gives_feedback_on_a_closed_request_and_the_family_answers_with_the_code_once()
    {
        var id = await ClosedChildRequestAsync();
        var page = await service.PageAsync();
        await PagesService.SignInAsync(page, "senco");
        var violations = new List<string>();
        await page.GotoAsync($"/requests/{id}");
        await page.ClickAsync("button:has-text('Send feedback')");
        Assert.Contains("How satisfied the setting was", await page.InnerTextAsync(".govuk-error-summary"), StringComparison.Ordinal); // the API's words
        violations.AddRange(await PagesService.CheckAsync(page, "senco-feedback-error"));
        await page.CheckAsync("#rating-Satisfied");
        await page.CheckAsync("#adviceUsed-yes");
        await page.FillAsync("#feedbackComment", "Clear strategies; the class team use them daily.");
        await page.ClickAsync("button:has-text('Send feedback')");
        var given = await page.InnerTextAsync("main");
        Assert.Contains("Satisfied; the advice is being used", given, StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("button:has-text('Send feedback')").CountAsync()); // once per episode

        await page.ClickAsync("button:has-text('Make a code for the family')");
        var code = (await page.InnerTextAsync("#family-code .govuk-panel__body")).Trim();
        Assert.Matches("^[A-Z0-9-]{6,20}$", code);
        violations.AddRange(await PagesService.CheckAsync(page, "senco-family-code"));
        await page.ReloadAsync();
        Assert.Equal(0, await page.Locator("#family-code").CountAsync()); // shown once

        // The family: no account, their own page.
        var family = await service.PageAsync();
        await family.GotoAsync("/family-feedback");
        violations.AddRange(await PagesService.CheckAsync(family, "family-code"));
        await family.FillAsync("#code", "NOT-A-CODE-1");
        await family.ClickAsync("button:has-text('Continue')");
        Assert.Contains("We do not recognise this code", await family.InnerTextAsync(".govuk-error-summary"), StringComparison.Ordinal);
        await family.FillAsync("#code", code);
        await family.ClickAsync("button:has-text('Continue')");
        Assert.Contains("how did you feel about the support", await family.InnerTextAsync("legend"), StringComparison.Ordinal);
        Assert.DoesNotContain("FAM-", await family.InnerTextAsync("main"), StringComparison.Ordinal); // nothing about the child is shown
        violations.AddRange(await PagesService.CheckAsync(family, "family-question"));
        await family.CheckAsync("#rating-VerySatisfied");
        await family.ClickAsync("button:has-text('Send')");
        Assert.Equal("Thank you", await family.InnerTextAsync("h1"));
        violations.AddRange(await PagesService.CheckAsync(family, "family-thanks"));

        await family.GotoAsync("/family-feedback");
        await family.FillAsync("#code", code);
        await family.ClickAsync("button:has-text('Continue')");
        await family.CheckAsync("#rating-Dissatisfied");
        await family.ClickAsync("button:has-text('Send')");
        Assert.Contains("already been used", await family.InnerTextAsync(".govuk-error-summary"), StringComparison.Ordinal);

        await page.ReloadAsync();
        Assert.Contains("The family", await page.InnerTextAsync("#feedback-given ~ dl"), StringComparison.Ordinal);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    /// <summary>A request about one child at the demonstration SENCO's school, accepted and closed through the API.</summary>
    private async Task<Guid> ClosedChildRequestAsync()
    {
        string urn;
        await using (var command = service.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand("SELECT urn FROM rm_settings WHERE tenant_id = 'demo' AND open AND in_area AND phase = 'Primary' ORDER BY urn LIMIT 1"))
        {
            urn = (string)(await command.ExecuteScalarAsync())!;
        }

        using var senco = Client(new Caller("pages-test-senco", Roles.Senco, "demo", [urn], null));
        var raised = await senco.PostAsJsonAsync("/api/requests", new
        {
            settingUrn = urn,
            level = "Individual",
            disciplines = new[] { "EducationalPsychology" },
            areasOfNeed = new[] { "CommunicationAndInteraction" },
            needsSummary = "Not yet using two-word phrases in class.",
            actionTaken = "Small-group talk sessions for a term, reviewed with the family.",
            child = new { reference = "FAM-2071", yearGroup = 2, senStatus = "SenSupport", parentalConsent = true },
            urgency = "Routine",
        });
        Assert.True(raised.StatusCode == HttpStatusCode.Created, await raised.Content.ReadAsStringAsync());
        var id = (await raised.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
        using var coordinator = Client(new Caller("pages-test-coordinator", Roles.Coordinator, "demo", [], null));
        var etag = await SendAsync(coordinator, $"/api/requests/{id}/triage", new { decision = "Accept", rationale = "Meets the threshold.", supportType = "Consultation", disciplines = new[] { "EducationalPsychology" }, priority = "Routine" }, raised.Headers.ETag!.Tag);
        await SendAsync(coordinator, $"/api/requests/{id}/closure", new { outcome = "NeedsMetInSetting", note = "Strategies in place." }, etag);
        return id;
    }

    private HttpClient Client(Caller caller)
    {
        var configuration = service.Services.GetRequiredService<IConfiguration>();
        var client = new HttpClient { BaseAddress = new Uri(service.BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Identity.MintDevelopmentToken(configuration, caller, TimeSpan.FromMinutes(10), TimeProvider.System));
        return client;
    }

    private static async Task<string> SendAsync(HttpClient client, string path, object body, string etag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.IfMatch.Add(EntityTagHeaderValue.Parse(etag));
        var response = await client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return response.Headers.ETag!.Tag;
    }
}
