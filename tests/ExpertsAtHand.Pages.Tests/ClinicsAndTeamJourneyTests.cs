using System.Globalization;
using Microsoft.Playwright;

namespace ExpertsAtHand.Pages.Tests;

/// <summary>Clinics, a setting's share, practitioners' absences, outreach and imports: in a real browser.</summary>
public sealed class ClinicsAndTeamJourneyTests(PagesService service) : IClassFixture<PagesService>
{
    [Fact]
    public async Task A_senco_books_a_clinic_place_gives_it_back_and_reads_their_settings_share()
    {
        var page = await service.PageAsync();
        await PagesService.SignInAsync(page, "senco");
        var violations = new List<string>();
        await page.ClickAsync("nav >> text=Clinics");
        Assert.Equal("Clinics and training", await page.InnerTextAsync("h1"));
        violations.AddRange(await PagesService.CheckAsync(page, "senco-clinics"));

        var row = page.Locator("tbody tr", new PageLocatorOptions { Has = page.Locator("button:has-text('Book a place')") }).First;
        var title = (await row.Locator("th").InnerTextAsync()).Split('\n')[0].Trim();
        var placesBefore = await row.Locator("td >> nth=3").InnerTextAsync();
        await row.Locator("button:has-text('Book a place')").ClickAsync();
        Assert.Contains($"has booked a place at {title}", await page.InnerTextAsync(".govuk-notification-banner"), StringComparison.Ordinal);
        var booked = page.Locator("tbody tr", new PageLocatorOptions { HasText = title }).First;
        Assert.Contains("Booked", await booked.InnerTextAsync(), StringComparison.Ordinal);
        Assert.NotEqual(placesBefore, await booked.Locator("td >> nth=3").InnerTextAsync());
        violations.AddRange(await PagesService.CheckAsync(page, "senco-clinic-booked"));

        await booked.Locator("button:has-text('Give back the place')").ClickAsync();
        Assert.Contains($"has given back the place at {title}", await page.InnerTextAsync(".govuk-notification-banner"), StringComparison.Ordinal);
        Assert.Equal(placesBefore, await page.Locator("tbody tr", new PageLocatorOptions { HasText = title }).First.Locator("td >> nth=3").InnerTextAsync());

        await page.ClickAsync("nav >> text=Your share");
        Assert.Equal("Your setting's share this year", await page.InnerTextAsync("h1"));
        var share = await page.InnerTextAsync("main");
        Assert.Contains("Share for the whole year", share, StringComparison.Ordinal);
        Assert.Contains("Used of the share so far", share, StringComparison.Ordinal);
        Assert.Equal(1, await page.Locator("svg[role=img] title:has-text('of its share so far')").CountAsync()); // drawn as well as written
        violations.AddRange(await PagesService.CheckAsync(page, "senco-share"));
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Fact]
    public async Task A_coordinator_schedules_a_clinic_checked_as_the_api_checks_it_and_records_who_came_to_one_held()
    {
        var page = await service.PageAsync();
        await PagesService.SignInAsync(page, "coordinator");
        var violations = new List<string>();
        await page.ClickAsync("nav >> text=Clinics");
        await page.ClickAsync("text=Schedule a clinic or training");
        await page.ClickAsync("button:has-text('Schedule it')");
        var summary = await page.InnerTextAsync(".govuk-error-summary");
        Assert.Contains("'Title' must not be empty.", summary, StringComparison.Ordinal); // the API's own words
        Assert.StartsWith("Error:", await page.TitleAsync(), StringComparison.Ordinal);
        violations.AddRange(await PagesService.CheckAsync(page, "coordinator-clinic-errors"));

        var date = NextQuietWednesday(DateOnly.FromDateTime(DateTime.UtcNow).AddDays(14));
        await page.CheckAsync("#kind-ConsultationClinic");
        await page.FillAsync("#title", "Autism consultation clinic");
        await page.CheckAsync("#discipline-SpeechAndLanguageTherapy");
        await page.SelectOptionAsync("#practitionerId", "salt-1");
        await page.FillAsync("#date", date.AddDays(3).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)); // a Saturday
        await page.FillAsync("#hours", "3");
        await page.FillAsync("#places", "6");
        await page.SelectOptionAsync("#locality", new SelectOptionValue { Index = 1 });
        await page.ClickAsync("button:has-text('Schedule it')");
        Assert.Contains("a weekend: choose a working day", await page.InnerTextAsync(".govuk-error-summary"), StringComparison.Ordinal);
        Assert.Equal("Autism consultation clinic", await page.InputValueAsync("#title")); // nothing typed is lost

        await page.FillAsync("#date", date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        await page.ClickAsync("button:has-text('Schedule it')");
        Assert.Equal("Autism consultation clinic", await page.InnerTextAsync("h1"));
        Assert.Contains("is scheduled for", await page.InnerTextAsync(".govuk-notification-banner"), StringComparison.Ordinal);
        Assert.Contains("0 booked of 6", await page.InnerTextAsync("main"), StringComparison.Ordinal);
        violations.AddRange(await PagesService.CheckAsync(page, "coordinator-clinic"));

        // The demo's clinic held this week and not yet recorded.
        await page.ClickAsync("nav >> text=Clinics");
        Assert.Contains("Held: attendance to record", await page.InnerTextAsync("main"), StringComparison.Ordinal);
        await page.ClickAsync("text=Early language screening clinic");
        var boxes = page.Locator("input[name=Attended]");
        Assert.Equal(3, await boxes.CountAsync());
        await boxes.Nth(0).CheckAsync();
        await boxes.Nth(2).CheckAsync();
        violations.AddRange(await PagesService.CheckAsync(page, "coordinator-attendance"));
        await page.ClickAsync("button:has-text('Record attendance')");
        Assert.Contains("Attendance recorded: 2 of 3 booked settings came.", await page.InnerTextAsync(".govuk-notification-banner"), StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("button:has-text('Record attendance')").CountAsync());
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Fact]
    public async Task A_coordinator_records_a_practitioners_absence_and_reads_the_outreach_list()
    {
        var page = await service.PageAsync();
        await PagesService.SignInAsync(page, "coordinator");
        var violations = new List<string>();
        await page.ClickAsync("nav >> text=Practitioners");
        Assert.Equal("Practitioners and absences", await page.InnerTextAsync("h1"));
        var from = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(10);
        await page.SelectOptionAsync("#practitionerId", "ep-2");
        await page.FillAsync("#from", from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        await page.FillAsync("#to", from.AddDays(-3).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        await page.ClickAsync("button:has-text('Record the absence')");
        Assert.Contains("An absence ends on or after the day it starts.", await page.InnerTextAsync(".govuk-error-summary"), StringComparison.Ordinal);
        violations.AddRange(await PagesService.CheckAsync(page, "coordinator-absence-error"));

        await page.FillAsync("#to", from.AddDays(4).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        await page.FillAsync("#reason", "Annual leave");
        await page.ClickAsync("button:has-text('Record the absence')");
        Assert.Contains("is recorded as away from", await page.InnerTextAsync(".govuk-notification-banner"), StringComparison.Ordinal);
        var absences = await page.InnerTextAsync("table >> nth=0");
        Assert.Contains(from.ToString("d MMM yyyy", CultureInfo.InvariantCulture), absences, StringComparison.Ordinal);
        Assert.DoesNotContain("Annual leave", await page.InnerTextAsync("main"), StringComparison.Ordinal); // the reason stays in the record
        violations.AddRange(await PagesService.CheckAsync(page, "coordinator-team"));

        await page.ClickAsync("nav >> text=Outreach");
        Assert.Equal("Settings to contact", await page.InnerTextAsync("h1"));
        Assert.Matches(@"^\d+ settings, highest need first", await page.InnerTextAsync("caption"));
        violations.AddRange(await PagesService.CheckAsync(page, "coordinator-outreach"));
        await page.FillAsync("#quietWeeks", "99");
        await page.ClickAsync("button:has-text('Show settings')");
        Assert.Contains("From 1 to 52 weeks.", await page.InnerTextAsync(".govuk-error-summary"), StringComparison.Ordinal);
        violations.AddRange(await PagesService.CheckAsync(page, "coordinator-outreach-error"));
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Fact]
    public async Task An_administrator_imports_practitioners_a_bad_file_is_refused_by_line_and_a_good_one_reported_by_line()
    {
        var page = await service.PageAsync();
        await PagesService.SignInAsync(page, "administrator");
        var violations = new List<string>();
        await page.ClickAsync("nav >> text=Imports");
        Assert.Equal("Import settings and practitioners", await page.InnerTextAsync("h1"));
        violations.AddRange(await PagesService.CheckAsync(page, "administrator-imports"));

        const string Header = "Id,Name,Discipline,Provider,Localities,WeeklyCapacityHours,Active\n";
        var bad = Header + "ot-9,Olu Taiwo,OccupationalTherapy,NhsTrust,Riverside,30,true\not-10,Pat Lee,Astrology,NhsTrust,Riverside,30,true\n";
        await page.SetInputFilesAsync("#practitionersFile", new FilePayload { Name = "team.csv", MimeType = "text/csv", Buffer = System.Text.Encoding.UTF8.GetBytes(bad) });
        await page.ClickAsync("button:has-text('Import practitioners')");
        Assert.Contains("1 row(s) are not valid; nothing was imported", await page.InnerTextAsync(".govuk-error-summary"), StringComparison.Ordinal);
        var problem = await page.InnerTextAsync("#row-errors tbody tr");
        Assert.StartsWith("3\tDiscipline", problem, StringComparison.Ordinal);
        violations.AddRange(await PagesService.CheckAsync(page, "administrator-import-errors"));

        var good = Header + "ot-9,Olu Taiwo,OccupationalTherapy,NhsTrust,Riverside,30,true\nep-2,Changed Name,EducationalPsychology,LocalAuthorityTeam,Riverside;Eastfields,20,true\n";
        await page.SetInputFilesAsync("#practitionersFile", new FilePayload { Name = "team.csv", MimeType = "text/csv", Buffer = System.Text.Encoding.UTF8.GetBytes(good) });
        await page.ClickAsync("button:has-text('Import practitioners')");
        Assert.Contains("2 practitioners imported: 1 new, 1 changed, 0 unchanged.", await page.InnerTextAsync(".govuk-notification-banner"), StringComparison.Ordinal);
        var lines = await page.Locator("#import-lines tbody tr").AllInnerTextsAsync();
        Assert.Equal(["2\tot-9\tNew", "3\tep-2\tChanged"], lines.Select(l => l.Trim()));
        violations.AddRange(await PagesService.CheckAsync(page, "administrator-import-done"));
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    /// <summary>A Wednesday on or after the day, away from the Christmas and New Year bank holidays.</summary>
    private static DateOnly NextQuietWednesday(DateOnly from)
    {
        var day = from;
        while (day.DayOfWeek != DayOfWeek.Wednesday || (day.Month == 12 && day.Day >= 22) || (day.Month == 1 && day.Day <= 3))
        {
            day = day.AddDays(1);
        }

        return day;
    }
}
