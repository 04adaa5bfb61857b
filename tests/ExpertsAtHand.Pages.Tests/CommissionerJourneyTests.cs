using Microsoft.Playwright;

namespace ExpertsAtHand.Pages.Tests;

/// <summary>A commissioner reads the area's figures, filters them, and downloads the quarterly return.</summary>
public sealed class CommissionerJourneyTests(PagesService service) : IClassFixture<PagesService>
{
    [Fact]
    public async Task A_commissioner_filters_the_figures_sees_each_as_a_chart_and_a_table_and_downloads_the_return()
    {
        var page = await service.PageAsync();
        var violations = new List<string>();
        await PagesService.SignInAsync(page, "commissioner");
        await page.WaitForURLAsync("**/dashboard"); // each role starts at its own work
        await page.GotoAsync("/");
        await page.ClickAsync("nav >> text=Figures");
        Assert.Equal("The area's figures", await page.InnerTextAsync("h1"));
        Assert.True(await page.IsVisibleAsync("svg[role=img]"));
        var main = await page.InnerTextAsync("main");
        foreach (var section in new[] { "Coverage by locality and phase", "Timeliness by locality", "Timeliness by provider organisation", "De-escalation", "Equity", "High-need settings under half their share", "Capacity by week", "Satisfaction", "You said, we did" })
        {
            Assert.Contains(section, main, StringComparison.Ordinal);
        }

        // Every chart is followed by a table of the same figures: a chart is never the only way to read one.
        var charts = await page.Locator("svg.app-chart").CountAsync();
        Assert.True(charts >= 6, $"{charts} charts");
        Assert.Equal(charts, await page.EvaluateAsync<int>("[...document.querySelectorAll('svg.app-chart')].filter(svg => { let e = svg.nextElementSibling; return e && e.tagName === 'TABLE'; }).length"));
        violations.AddRange(await PagesService.CheckAsync(page, "commissioner-dashboard"));

        // A date that is not one, and a locality the area does not have: named, in the reports' words.
        await page.FillAsync("#from", "2026-13-40");
        await page.ClickAsync("button:has-text('Show the figures')");
        Assert.Contains("as a date", await page.InnerTextAsync(".govuk-error-summary"), StringComparison.Ordinal);
        violations.AddRange(await PagesService.CheckAsync(page, "commissioner-dashboard-error"));
        await page.GotoAsync("/dashboard?from=2026-09-01&locality=Atlantis");
        Assert.Contains("One of your area's localities", await page.InnerTextAsync(".govuk-error-summary"), StringComparison.Ordinal);

        await page.SelectOptionAsync("#locality", string.Empty);
        await page.SelectOptionAsync("#phase", "Primary");
        await page.ClickAsync("button:has-text('Show the figures')");
        Assert.DoesNotContain("Secondary", await page.InnerTextAsync("table >> nth=0"), StringComparison.Ordinal);
        Assert.Contains("phase=Primary", page.Url, StringComparison.Ordinal);

        // As the log stood on an earlier day: the same page, answered from the log.
        var lastWeek = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-7)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        await page.FillAsync("#asOf", lastWeek);
        await page.ClickAsync("button:has-text('Show the figures')");
        Assert.Equal(0, await page.Locator(".govuk-error-summary").CountAsync());
        Assert.Equal(lastWeek, await page.InputValueAsync("#asOf"));

        // What if: the recorded period replayed through another way of allocating, beside what happened.
        await page.ClickAsync("text=What if time were allocated differently?");
        await page.FillAsync("#to", "2020-01-01");
        await page.ClickAsync("button:has-text('Replay the period')");
        Assert.Contains("The period ends on or after it starts.", await page.InnerTextAsync(".govuk-error-summary"), StringComparison.Ordinal);
        violations.AddRange(await PagesService.CheckAsync(page, "commissioner-what-if-error"));
        await page.FillAsync("#to", DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await page.CheckAsync("#policy-Fcfs");
        await page.ClickAsync("button:has-text('Replay the period')");
        Assert.Contains("First come, first served", await page.InnerTextAsync("#whatif-title"), StringComparison.Ordinal);
        var comparison = await page.InnerTextAsync("table");
        Assert.Contains("Happened", comparison, StringComparison.Ordinal);
        Assert.Contains("Highest-need quarter of settings reached", comparison, StringComparison.Ordinal);
        Assert.True(await page.Locator("svg.app-chart + table").CountAsync() == 1, "the chart is followed by its table");
        violations.AddRange(await PagesService.CheckAsync(page, "commissioner-what-if"));
        await page.GotoAsync("/dashboard");

        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("text=Download the quarterly return"));
        var path = await download.PathAsync();
        var csv = await File.ReadAllTextAsync(path!);
        Assert.StartsWith("quarter,locality,phase,measure,value", csv, StringComparison.Ordinal);
        Assert.Contains("settings_feedback_response_rate", csv, StringComparison.Ordinal);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Fact]
    public async Task An_administrator_sees_how_far_each_projection_has_read_and_the_failed_messages_and_no_childs_record()
    {
        var page = await service.PageAsync();
        await PagesService.SignInAsync(page, "administrator");
        await page.WaitForURLAsync("**/admin");
        await page.GotoAsync("/");
        await page.ClickAsync("nav >> text=Running the service");
        Assert.Equal("Running the service", await page.InnerTextAsync("h1"));
        var projections = await page.InnerTextAsync("table >> nth=0");
        foreach (var name in new[] { "timeliness", "outcomes", "coverage", "capacity", "satisfaction" })
        {
            Assert.Contains(name, projections, StringComparison.Ordinal);
        }

        Assert.Contains("None. Every message was delivered.", await page.InnerTextAsync("main"), StringComparison.Ordinal);
        var violations = await PagesService.CheckAsync(page, "administrator");
        await page.GotoAsync("/requests");
        Assert.Equal("You cannot see this page", await page.InnerTextAsync("h1"));
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }
}
