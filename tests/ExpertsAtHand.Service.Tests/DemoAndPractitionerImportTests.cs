using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ExpertsAtHand.Service.Features.Demo;
using ExpertsAtHand.Service.Features.Requests;
using ExpertsAtHand.Service.Features.Settings;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ExpertsAtHand.Service.Tests;

public sealed class DemoAndPractitionerImportTests
{
    [Fact]
    public async Task The_demo_area_has_every_phase_locality_provider_and_request_state_and_seeds_once()
    {
        await using var app = await ServiceApp.StartAsync(new DateTimeOffset(2026, 12, 10, 12, 0, 0, TimeSpan.Zero));
        Task<bool> Seed() => app.SeedDemoAsync();

        Assert.True(await Seed());
        var events = await app.EventCountAsync();
        Assert.False(await Seed());
        Assert.Equal(events, await app.EventCountAsync());

        using var coordinator = app.As("coordinator", tenant: DemoArea.Tenant);
        var settings = (await coordinator.GetFromJsonAsync<JsonArray>("/api/settings"))!;
        Assert.InRange(settings.Count, 140, 160);
        Assert.Equal(6, settings.Select(s => s!["phase"]!.GetValue<string>()).Distinct().Count());
        Assert.Equal(6, settings.Select(s => s!["locality"]!.GetValue<string>()).Distinct().Count()); // five localities and "Out of area"
        var practitioners = (await coordinator.GetFromJsonAsync<JsonArray>("/api/practitioners"))!;
        Assert.Equal(25, practitioners.Count);
        Assert.Equal(3, practitioners.Select(p => p!["provider"]!.GetValue<string>()).Distinct().Count());

        var statuses = await app.Database.ScalarAsync<string[]>("SELECT array_agg(DISTINCT status ORDER BY status) FROM rm_requests WHERE tenant_id = 'demo'");
        Assert.Equal(["Allocated", "AwaitingAllocation", "AwaitingInformation", "AwaitingTriage", "Closed", "InProgress", "Withdrawn"], statuses);
        var outcomes = await app.Database.ScalarAsync<string[]>("SELECT array_agg(DISTINCT outcome ORDER BY outcome) FROM rm_requests WHERE tenant_id = 'demo' AND outcome IS NOT NULL");
        Assert.Contains("ReferredToSpecialistPathway", outcomes);
        Assert.Contains("NeedsMetInSetting", outcomes);
        Assert.True(await app.Database.ScalarAsync<long>("SELECT count(*) FROM wolverine_incoming_envelopes WHERE status = 'Scheduled'") > 0, "open requests have SLA checks scheduled");
        Assert.Equal(2, (await coordinator.GetFromJsonAsync<JsonArray>("/api/clinics"))!.Count); // two to come
        Assert.Equal(4L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM rm_clinic_attendance WHERE tenant_id = 'demo'"));
    }

    [Fact]
    public async Task The_demo_term_is_recorded_when_it_happened_so_as_of_answers_show_the_area_growing()
    {
        var now = new DateTimeOffset(2026, 12, 10, 12, 0, 0, TimeSpan.Zero);
        await using var app = await ServiceApp.StartAsync(now);
        await app.SeedDemoAsync();
        await app.CatchUpProjectionsAsync();

        // Recorded across the term, never after now, and in the order the log commits them.
        var first = await app.Database.ScalarAsync<DateTime>("SELECT min(timestamp) FROM mt_events WHERE tenant_id = 'demo'");
        var last = await app.Database.ScalarAsync<DateTime>("SELECT max(timestamp) FROM mt_events WHERE tenant_id = 'demo'");
        Assert.True(now.UtcDateTime - first > TimeSpan.FromDays(80), $"first event recorded {first:u}");
        Assert.True(last <= now.UtcDateTime, $"last event recorded {last:u}");
        Assert.Equal(0L, await app.Database.ScalarAsync<long>(
            "SELECT count(*) FROM (SELECT timestamp < lag(timestamp) OVER (ORDER BY seq_id) AS backwards FROM mt_events WHERE tenant_id = 'demo') x WHERE backwards"));
        Assert.True(await app.Database.ScalarAsync<long>("SELECT count(*) FROM mt_events WHERE tenant_id = 'demo' AND type IN ('sla-at-risk', 'sla-breached') AND timestamp < $1", now.AddDays(-7)) > 0,
            "clocks that ran out during the term were recorded when they did");

        // Every demo request has Northmoor's reference, numbered in the order the term raised them.
        Assert.Equal(0L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM rm_requests WHERE tenant_id = 'demo' AND reference IS NULL"));
        Assert.Equal(0L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM rm_requests WHERE tenant_id = 'demo' AND reference !~ '^NMR-2026-[0-9]{5}$'"));
        Assert.Equal(0L, await app.Database.ScalarAsync<long>(
            "SELECT count(*) FROM rm_requests a JOIN rm_requests b ON b.tenant_id = a.tenant_id AND a.raised_at < b.raised_at AND a.reference > b.reference WHERE a.tenant_id = 'demo'"));

        // The demo's coordinator followed the engine as it stood each day: every allocation can be explained.
        Assert.Equal(0L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM rm_allocations WHERE tenant_id = 'demo' AND ranking IS NULL"));
        Assert.True(await app.Database.ScalarAsync<long>("SELECT count(*) FROM rm_allocations WHERE tenant_id = 'demo' AND override_reason IS NULL") > 10, "most demo allocations follow the engine");

        using var commissioner = app.As("commissioner", tenant: DemoArea.Tenant);
        long Supported(JsonObject report) => report["total"]!["settingsSupported"]!.GetValue<long>();
        var live = (await commissioner.GetFromJsonAsync<JsonObject>("/api/reports/coverage?from=2026-09-01&to=2026-12-10"))!;
        var midTerm = (await commissioner.GetFromJsonAsync<JsonObject>("/api/reports/coverage?from=2026-09-01&to=2026-12-10&asOf=2026-10-25"))!;
        var beforeAnything = (await commissioner.GetFromJsonAsync<JsonObject>("/api/reports/coverage?from=2026-09-01&to=2026-12-10&asOf=2026-09-01"))!;
        Assert.InRange(Supported(midTerm), 1, Supported(live) - 1);
        Assert.Equal(0, Supported(beforeAnything));

        // Settings and families answered as the term went: the satisfaction report has something to say.
        using var coordinator = app.As("coordinator", tenant: DemoArea.Tenant);
        var satisfaction = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/satisfaction?from=2026-09-01&to=2026-12-10"))!["total"]!;
        Assert.InRange(satisfaction["settings"]!["responses"]!.GetValue<long>(), 1, satisfaction["settings"]!["asked"]!.GetValue<long>() - 1);
        Assert.True(satisfaction["families"]!["responses"]!.GetValue<long>() > 0);
        Assert.Equal(0L, await app.Database.ScalarAsync<long>(
            "SELECT count(*) FROM mt_events WHERE tenant_id = 'demo' AND type LIKE '%feedback%' AND timestamp > $1", now));
    }

    [Fact]
    public async Task Practitioners_import_from_csv_all_or_nothing_and_idempotently()
    {
        await using var app = await ServiceApp.StartAsync();
        using var administrator = app.As("administrator");
        var good = "Id,Name,Discipline,Provider,Localities,WeeklyCapacityHours,Active\n"
                   + "ep-10,Dr A Example,EducationalPsychology,LocalAuthorityTeam,North;South,30,yes\n"
                   + "salt-10,B Example,SpeechAndLanguageTherapy,NhsTrust,North,22.5,yes\n";
        var bad = good + "ot 11,C Example,Physiotherapy,NhsTrust,,90,maybe\n";

        var refused = await administrator.PostAsync("/api/practitioners/import", new StringContent(bad, Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problems = (await refused.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["line 4"]!.AsArray().Select(p => p!.GetValue<string>().Split(':')[0]).ToList();
        Assert.Equal(["Id", "Discipline", "Localities", "WeeklyCapacityHours", "Active"], problems);
        Assert.Equal(0L, await app.EventCountAsync());

        Assert.Equal((2, 2, 0, 0), SettingsImportTests.ImportCounts((await (await administrator.PostAsync("/api/practitioners/import", new StringContent(good, Encoding.UTF8, "text/csv"))).Content.ReadFromJsonAsync<JsonObject>())!));
        Assert.Equal((2, 0, 0, 2), SettingsImportTests.ImportCounts((await (await administrator.PostAsync("/api/practitioners/import", new StringContent(good, Encoding.UTF8, "text/csv"))).Content.ReadFromJsonAsync<JsonObject>())!));
        var ep = (await administrator.GetFromJsonAsync<JsonObject>("/api/practitioners/ep-10"))!;
        Assert.Equal(["North", "South"], ep["localities"]!.AsArray().Select(l => l!.GetValue<string>()));
    }
}
