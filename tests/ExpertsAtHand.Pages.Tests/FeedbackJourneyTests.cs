using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ExpertsAtHand.Service.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
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

        // The coordinator tags what the setting's feedback is about, and records what the service did.
        var coordinator = await service.PageAsync();
        await PagesService.SignInAsync(coordinator, "coordinator");
        await coordinator.GotoAsync($"/requests/{id}");
        var setting = coordinator.Locator(".govuk-summary-list__row", new() { HasText = "The setting" }).Last;
        await setting.Locator("summary:has-text('Tag what it is about')").ClickAsync();
        await setting.Locator("label:has-text('The quality of the advice')").ClickAsync();
        violations.AddRange(await PagesService.CheckAsync(coordinator, "coordinator-feedback-themes"));
        await setting.Locator("button:has-text('Save themes')").ClickAsync();
        var tags = await coordinator.Locator(".govuk-summary-list__row", new() { HasText = "The setting" }).Last.Locator(".govuk-tag").AllInnerTextsAsync();
        Assert.Contains("The quality of the advice", tags);

        await coordinator.ClickAsync("nav >> text=You said, we did");
        await coordinator.ClickAsync("button:has-text('Record the change')");
        Assert.Contains("The theme the change answers.", await coordinator.InnerTextAsync(".govuk-error-summary"), StringComparison.Ordinal); // the API's words
        violations.AddRange(await PagesService.CheckAsync(coordinator, "coordinator-you-said-we-did-error"));
        await coordinator.SelectOptionAsync("#theme", "QualityOfAdvice");
        await coordinator.FillAsync("#youSaid", "Advice reports were long and hard to act on.");
        await coordinator.FillAsync("#weDid", "Every report now starts with three strategies to try this week.");
        await coordinator.ClickAsync("button:has-text('Record the change')");
        Assert.Contains("The change is recorded", await coordinator.InnerTextAsync(".govuk-notification-banner"), StringComparison.Ordinal);
        Assert.Contains("three strategies to try this week", await coordinator.InnerTextAsync("main"), StringComparison.Ordinal);

        // Commissioners read it with the satisfaction figures.
        var commissioner = await service.PageAsync();
        await PagesService.SignInAsync(commissioner, "commissioner");
        await commissioner.WaitForURLAsync("**/dashboard");
        // The figures are read from the report projections, which follow the log a moment behind.
        for (var attempt = 0; attempt < 30 && await commissioner.Locator("#you-said-we-did ~ dl").CountAsync() == 0; attempt++)
        {
            await Task.Delay(500);
            await commissioner.ReloadAsync();
        }

        Assert.Contains("three strategies to try this week", await commissioner.InnerTextAsync("#you-said-we-did ~ dl"), StringComparison.Ordinal);
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
