using Microsoft.Playwright;

namespace ExpertsAtHand.Pages.Tests;

/// <summary>A coordinator allocates as the engine suggests; a practitioner records a contact and closes: in a real browser.</summary>
public sealed class PractitionerAndAllocationJourneyTests(PagesService service) : IClassFixture<PagesService>
{
    [Fact]
    public async Task A_coordinator_follows_the_engines_suggestion_for_an_accepted_request()
    {
        var page = await service.PageAsync();
        await PagesService.SignInAsync(page, "coordinator");
        var violations = new List<string>();
        // The newest accepted request still waiting for a practitioner.
        await PagesService.OpenFirstRequestAsync(page, "Accepted");
        Assert.True(await page.IsVisibleAsync("#allocation"));
        violations.AddRange(await PagesService.CheckAsync(page, "coordinator-allocation"));
        var allocate = page.Locator("button:has-text('Allocate')");
        Assert.True(await allocate.CountAsync() > 0, "the engine suggests someone for the demo's waiting request");
        await allocate.First.ClickAsync();
        Assert.Contains("Practitioner allocated", await page.InnerTextAsync("h1"), StringComparison.Ordinal);
        Assert.Contains("allocated for", await page.InnerTextAsync("main"), StringComparison.Ordinal);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Fact]
    public async Task A_practitioner_records_a_contact_on_their_case_and_closes_it_with_an_outcome()
    {
        var page = await service.PageAsync();
        await PagesService.SignInAsync(page, "practitioner");
        var violations = new List<string>();
        await page.GotoAsync("/requests");
        violations.AddRange(await PagesService.CheckAsync(page, "practitioner-cases"));
        await PagesService.OpenFirstRequestAsync(page, "Practitioner allocated", "Support under way");
        await page.ClickAsync("button:has-text('Record the contact')");
        Assert.True(await page.IsVisibleAsync(".govuk-error-summary"));
        violations.AddRange(await PagesService.CheckAsync(page, "practitioner-contact-error"));
        await page.FillAsync("#contactDate", DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await page.FillAsync("#durationMinutes", "60");
        await page.CheckAsync("label:has-text('InPerson')");
        await page.CheckAsync("#attended >> label:has-text('Senco')");
        await page.ClickAsync("button:has-text('Record the contact')");
        Assert.Contains("Support under way", await page.InnerTextAsync("h1"), StringComparison.Ordinal);
        violations.AddRange(await PagesService.CheckAsync(page, "practitioner-request"));

        await page.SelectOptionAsync("#outcome", "NeedsMetInSetting");
        await page.FillAsync("#note", "Strategies in place; reviewed with the SENCO.");
        await page.ClickAsync("button:has-text('Close the request')");
        Assert.Contains("Closed", await page.InnerTextAsync("h1"), StringComparison.Ordinal);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }
}
