using Microsoft.Playwright;

namespace ExpertsAtHand.Pages.Tests;

/// <summary>A SENCO raises a request through the GOV.UK question pages, with JavaScript on and off, in a real browser.</summary>
public sealed class SencoJourneyTests(PagesService service) : IClassFixture<PagesService>
{
    [Fact]
    public async Task A_senco_raises_a_request_one_question_at_a_time_and_finds_it_in_their_list_with_no_accessibility_failures()
    {
        var page = await service.PageAsync();
        var violations = new List<string>();
        await page.GotoAsync("/");
        violations.AddRange(await PagesService.CheckAsync(page, "start"));
        await page.ClickAsync("text=Start now");
        violations.AddRange(await PagesService.CheckAsync(page, "sign-in"));
        await PagesService.SignInAsync(page, "senco");
        Assert.Equal("Your requests", await page.InnerTextAsync("h1"));
        violations.AddRange(await PagesService.CheckAsync(page, "senco-requests"));

        await page.ClickAsync("main >> text=Raise a request");
        // Continue without an answer: the error summary, in the API's words, linked to the question.
        await page.ClickAsync("button:has-text('Continue')");
        Assert.True(await page.IsVisibleAsync(".govuk-error-summary"));
        Assert.StartsWith("Error:", await page.TitleAsync(), StringComparison.Ordinal);
        violations.AddRange(await PagesService.CheckAsync(page, "raise-error"));
        await page.CheckAsync("label:has-text('One child')");
        violations.AddRange(await PagesService.CheckAsync(page, "raise-level"));
        await page.ClickAsync("button:has-text('Continue')");
        await page.CheckAsync("label:has-text('Speech and language therapy')");
        await page.ClickAsync("button:has-text('Continue')");
        await page.CheckAsync("label:has-text('Communication and interaction')");
        await page.ClickAsync("button:has-text('Continue')");
        await page.FillAsync("#needsSummary", "Limited expressive language; struggles with two-part instructions.");
        await page.ClickAsync("button:has-text('Continue')");
        await page.FillAsync("#actionTaken", "Two assess, plan, do, review cycles with a language group.");
        await page.ClickAsync("button:has-text('Continue')");
        await page.FillAsync("#child-reference", "PW-4821");
        await page.FillAsync("#child-yearGroup", "2");
        await page.CheckAsync("label:has-text('SEN support')");
        await page.CheckAsync("#child-parentalConsent-0");
        violations.AddRange(await PagesService.CheckAsync(page, "raise-child"));
        await page.ClickAsync("button:has-text('Continue')");
        await page.CheckAsync("label:has-text('Routine')");
        await page.ClickAsync("button:has-text('Continue')");

        Assert.Equal("Check your answers before raising the request", await page.InnerTextAsync("h1"));
        Assert.Contains("PW-4821", await page.InnerTextAsync(".govuk-summary-list"), StringComparison.Ordinal);
        violations.AddRange(await PagesService.CheckAsync(page, "raise-check"));
        await page.ClickAsync("button:has-text('Raise the request')");

        Assert.Equal("Request raised", await page.InnerTextAsync("h1"));
        var reference = (await page.InnerTextAsync(".govuk-panel__body strong")).Trim();
        Assert.Matches("^NMR-2026-[0-9]{5}$", reference);
        violations.AddRange(await PagesService.CheckAsync(page, "raise-confirmation"));
        await page.ClickAsync("text=See the request");
        Assert.Contains(reference, await page.InnerTextAsync("h1"), StringComparison.Ordinal);
        Assert.Contains("Limited expressive language", await page.InnerTextAsync("main"), StringComparison.Ordinal);
        violations.AddRange(await PagesService.CheckAsync(page, "request"));
        await page.GotoAsync("/requests");
        Assert.Contains(reference, await page.InnerTextAsync("table"), StringComparison.Ordinal);

        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Fact]
    public async Task The_journey_works_with_javascript_off_and_change_on_check_your_answers_returns_there()
    {
        var page = await service.PageAsync(javaScript: false);
        await PagesService.SignInAsync(page, "senco");
        await page.GotoAsync("/requests/new");
        await page.CheckAsync("label:has-text('The whole setting')");
        await page.ClickAsync("button:has-text('Continue')");
        await page.CheckAsync("label:has-text('Educational psychology')");
        await page.ClickAsync("button:has-text('Continue')");
        await page.CheckAsync("label:has-text('Cognition and learning')");
        await page.ClickAsync("button:has-text('Continue')");
        await page.FillAsync("#needsSummary", "Year 3 reading gap widening.");
        await page.ClickAsync("button:has-text('Continue')");
        await page.FillAsync("#actionTaken", "Phonics catch-up for two terms.");
        await page.ClickAsync("button:has-text('Continue')");
        await page.CheckAsync("label:has-text('High')");
        await page.ClickAsync("button:has-text('Continue')");

        // Change one answer from check your answers, and come straight back.
        await page.ClickAsync("button:has-text('Change the needs')");
        Assert.Equal("Describe the needs", await page.InnerTextAsync("h1"));
        await page.FillAsync("#needsSummary", "Year 3 reading gap widening; two pupils now two years behind.");
        await page.ClickAsync("button:has-text('Continue')");
        Assert.Equal("Check your answers before raising the request", await page.InnerTextAsync("h1"));
        Assert.Contains("two years behind", await page.InnerTextAsync(".govuk-summary-list"), StringComparison.Ordinal);
        await page.ClickAsync("button:has-text('Raise the request')");
        Assert.Equal("Request raised", await page.InnerTextAsync("h1"));
    }

    [Fact]
    public async Task Pages_need_a_signed_in_person_and_a_commissioner_is_not_shown_childrens_records()
    {
        var page = await service.PageAsync();
        await page.GotoAsync("/requests");
        Assert.Contains("/sign-in", page.Url, StringComparison.Ordinal);
        await PagesService.SignInAsync(page, "commissioner");
        await page.GotoAsync("/requests");
        Assert.Equal("You cannot see this page", await page.InnerTextAsync("h1"));
        var response = await page.GotoAsync("/requests");
        Assert.NotNull(response);
        Assert.Equal("no-store", await response!.HeaderValueAsync("cache-control"));
        Assert.Contains("frame-ancestors 'none'", await response.HeaderValueAsync("content-security-policy"), StringComparison.Ordinal);

        // Signing out ends the session: the pages ask for a person again.
        await page.ClickAsync("button:has-text('Sign out')");
        Assert.Contains("Start now", await page.InnerTextAsync("main"), StringComparison.Ordinal);
        await page.GotoAsync("/dashboard");
        Assert.Contains("/sign-in", page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_raise_a_request_journey_can_be_done_with_the_keyboard_alone()
    {
        var page = await service.PageAsync();
        await PagesService.SignInAsync(page, "senco");
        await page.GotoAsync("/requests/new");

        // Only Tab, arrows, Space, Enter and typing: the focus moves as a keyboard user's would.
        async Task TabToAsync(string selector)
        {
            for (var presses = 0; presses < 60; presses++)
            {
                await page.Keyboard.PressAsync("Tab");
                if (await page.EvaluateAsync<bool>("s => document.activeElement && document.activeElement.matches(s)", selector))
                {
                    return;
                }
            }

            Assert.Fail($"The keyboard never reached {selector}.");
        }

        async Task ChooseRadioAsync(string group, int index)
        {
            await TabToAsync($"#{group}-0");
            await page.Keyboard.PressAsync("Space");
            for (var i = 0; i < index; i++)
            {
                await page.Keyboard.PressAsync("ArrowDown");
            }
        }

        async Task TickAsync(string selector)
        {
            await TabToAsync(selector);
            await page.Keyboard.PressAsync("Space");
        }

        async Task ContinueAsync()
        {
            await TabToAsync("button.govuk-button:not(.govuk-button--secondary)");
            // The next page is the one without this page's mark.
            await page.EvaluateAsync("() => { window.leaving = true; }");
            await page.Keyboard.PressAsync("Enter");
            await page.WaitForFunctionAsync("() => window.leaving !== true && document.readyState === 'complete'");
        }

        async Task TypeAsync(string selector, string text)
        {
            await TabToAsync(selector);
            await page.Keyboard.TypeAsync(text);
        }

        // The skip link is the first thing the keyboard reaches.
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("Skip to main content", await page.EvaluateAsync<string>("document.activeElement.textContent.trim()"));
        await ChooseRadioAsync("level", 0);
        await ContinueAsync();
        await TickAsync("#disciplines-0");
        await ContinueAsync();
        await TickAsync("#areasOfNeed-1");
        await ContinueAsync();
        await TypeAsync("#needsSummary", "Working memory difficulties across the year group.");
        await ContinueAsync();
        await TypeAsync("#actionTaken", "Memory aids and pre-teaching for a term.");
        await ContinueAsync();
        await ChooseRadioAsync("urgency", 2);
        await ContinueAsync();
        Assert.Equal("Check your answers before raising the request", await page.InnerTextAsync("h1"));
        await ContinueAsync(); // the primary button here raises the request
        await page.WaitForSelectorAsync(".govuk-panel--confirmation");
        Assert.Equal("Request raised", await page.InnerTextAsync("h1"));
    }
}
