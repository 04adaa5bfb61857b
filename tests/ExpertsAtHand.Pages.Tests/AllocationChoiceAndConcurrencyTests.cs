using System.Globalization;
using Microsoft.Playwright;

namespace ExpertsAtHand.Pages.Tests;

/// <summary>Choosing other than the engine, with the reason recorded; and a request changed in another window while the page was open.</summary>
public sealed class AllocationChoiceAndConcurrencyTests(PagesService service) : IClassFixture<PagesService>
{
    [Fact]
    public async Task A_coordinator_chooses_another_practitioner_only_with_a_reason_and_the_reason_is_in_the_timeline()
    {
        var page = await service.PageAsync();
        await PagesService.SignInAsync(page, "coordinator");
        var violations = new List<string>();
        await PagesService.OpenFirstRequestAsync(page, "Accepted");
        await page.Locator("summary:has-text('Choose someone else')").First.ClickAsync();
        var form = page.Locator("details[open] form").First;
        var options = await form.Locator("select option").AllAsync();
        Assert.True(options.Count >= 2, "the discipline has practitioners to choose from");
        await form.Locator("select").SelectOptionAsync(new SelectOptionValue { Index = options.Count - 1 });
        await form.Locator("button").ClickAsync();
        var summary = await page.InnerTextAsync(".govuk-error-summary");
        Assert.Contains("reason for choosing other than the engine", summary, StringComparison.Ordinal);
        Assert.True(await page.IsVisibleAsync("details[open] textarea"), "the form stays open at the error");
        violations.AddRange(await PagesService.CheckAsync(page, "coordinator-override-error"));

        const string Reason = "The family already knows this therapist from nursery.";
        await page.Locator("details[open] textarea").FillAsync(Reason);
        await page.Locator("details[open] form button").ClickAsync();
        Assert.Contains("Practitioner allocated", await page.InnerTextAsync("h1"), StringComparison.Ordinal);
        Assert.Contains(Reason, await page.InnerTextAsync("main"), StringComparison.Ordinal);
        violations.AddRange(await PagesService.CheckAsync(page, "coordinator-override-done"));
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Fact]
    public async Task A_request_changed_in_another_window_shows_what_changed_and_keeps_what_was_typed()
    {
        var page = await service.PageAsync();
        await PagesService.SignInAsync(page, "practitioner");
        await PagesService.OpenFirstRequestAsync(page, "Practitioner allocated", "Support under way");
        var address = page.Url;
        var today = DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await page.FillAsync("#contactDate", today);
        await page.FillAsync("#durationMinutes", "45");
        await page.CheckAsync("label:has-text('Telephone')");
        await page.CheckAsync("#attended >> label:has-text('Senco')");

        // Meanwhile, in another window, a contact is recorded on the same request.
        var other = await page.Context.NewPageAsync();
        await other.GotoAsync(address);
        await other.FillAsync("#contactDate", today);
        await other.FillAsync("#durationMinutes", "30");
        await other.CheckAsync("label:has-text('InPerson')");
        await other.CheckAsync("#attended >> label:has-text('Senco')");
        await other.ClickAsync("button:has-text('Record the contact')");
        Assert.Equal(0, await other.Locator(".govuk-error-summary").CountAsync());

        await page.ClickAsync("button:has-text('Record the contact')");
        Assert.Contains("This request changed while you were looking", await page.InnerTextAsync(".govuk-notification-banner"), StringComparison.Ordinal);
        Assert.Equal("45", await page.InputValueAsync("#durationMinutes"));
        Assert.Equal(today, await page.InputValueAsync("#contactDate"));
        Assert.Contains("30 minutes", await page.InnerTextAsync("main"), StringComparison.Ordinal); // the page now shows the other window's contact
        var violations = await PagesService.CheckAsync(page, "changed-while-looking");

        Assert.True(await page.IsCheckedAsync("#attended >> input[value=Senco]"), "the attendees ticked are still ticked");
        await page.ClickAsync("button:has-text('Record the contact')");
        Assert.Equal(0, await page.Locator(".govuk-notification-banner:has-text('changed while you were looking')").CountAsync());
        Assert.Contains("45 minutes", await page.InnerTextAsync("main"), StringComparison.Ordinal);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }
}
