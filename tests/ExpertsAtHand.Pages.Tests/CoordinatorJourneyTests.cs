using Microsoft.Playwright;

namespace ExpertsAtHand.Pages.Tests;

/// <summary>A triage coordinator works the queue in a real browser: urgent first, a decision always with its rationale.</summary>
public sealed class CoordinatorJourneyTests(PagesService service) : IClassFixture<PagesService>
{
    [Fact]
    public async Task A_coordinator_triages_the_first_request_in_the_queue_and_a_decision_without_a_rationale_is_refused_in_the_apis_words()
    {
        var page = await service.PageAsync();
        var violations = new List<string>();
        await PagesService.SignInAsync(page, "coordinator");
        await page.ClickAsync("nav >> text=Triage queue");
        Assert.Equal("Triage queue", await page.InnerTextAsync("h1"));
        violations.AddRange(await PagesService.CheckAsync(page, "coordinator-triage-queue"));
        var reference = (await page.InnerTextAsync("table >> nth=0 >> tbody tr >> nth=0 >> th")).Trim();
        await page.ClickAsync($"text={reference}");
        violations.AddRange(await PagesService.CheckAsync(page, "coordinator-request"));

        await page.CheckAsync("label:has-text('Accept for support')");
        await page.SelectOptionAsync("#supportType", "Consultation");
        await page.SelectOptionAsync("#priority", "High");
        await page.ClickAsync("button:has-text('Record the decision')");
        Assert.Contains("'Rationale' must not be empty.", await page.InnerTextAsync(".govuk-error-summary"), StringComparison.Ordinal); // as the API's ProblemDetails says it
        Assert.StartsWith("Error:", await page.TitleAsync(), StringComparison.Ordinal);
        violations.AddRange(await PagesService.CheckAsync(page, "coordinator-triage-error"));

        await page.FillAsync("#rationale", "Graduated response evidenced over two cycles; a consultation is the next step.");
        await page.ClickAsync("button:has-text('Record the decision')");
        Assert.Contains("Accepted", await page.InnerTextAsync("h1"), StringComparison.Ordinal);
        Assert.Contains("Graduated response evidenced", await page.InnerTextAsync("main"), StringComparison.Ordinal);
        await page.GotoAsync("/requests/triage");
        Assert.DoesNotContain(reference, await page.InnerTextAsync("main"), StringComparison.Ordinal);

        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }
}
