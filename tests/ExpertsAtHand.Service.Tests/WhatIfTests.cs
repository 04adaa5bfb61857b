using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ExpertsAtHand.Service.Features.Demo;
using Microsoft.Extensions.DependencyInjection;
using static ExpertsAtHand.Service.Tests.ApiBuilders;

namespace ExpertsAtHand.Service.Tests;

/// <summary>The what-if over the area's own recorded term: read from the log, aggregates only, the same without any child's details.</summary>
public sealed class WhatIfTests
{
    [Fact]
    public async Task The_demo_term_replays_beside_what_happened_for_both_policies_and_needs_no_childs_details()
    {
        var now = new DateTimeOffset(2026, 12, 10, 12, 0, 0, TimeSpan.Zero);
        await using var app = await ServiceApp.StartAsync(now);
        await app.SeedDemoAsync();
        await app.CatchUpProjectionsAsync();
        using var coordinator = app.As("coordinator", tenant: DemoArea.Tenant);
        const string Period = "from=2026-09-01&to=2026-12-10";

        var fair = (await coordinator.GetFromJsonAsync<JsonObject>($"/api/reports/what-if?{Period}&policy=fair"))!;
        var fcfs = (await coordinator.GetFromJsonAsync<JsonObject>($"/api/reports/what-if?{Period}&policy=fcfs&outreach=on"))!;
        var demand = fair["actual"]!["demand"]!.GetValue<int>();
        Assert.True(demand > 50, $"{demand} needs recorded in the demo term");
        Assert.Equal(demand, fair["replayed"]!["demand"]!.GetValue<int>());
        Assert.True(fair["actual"]!["allocated"]!.GetValue<int>() > 0);
        Assert.True(fair["replayed"]!["allocated"]!.GetValue<int>() > 0);
        Assert.Equal(fair["actual"]!.ToJsonString(), fcfs["actual"]!.ToJsonString()); // what happened does not depend on the policy asked about
        Assert.True(fcfs["outreachOffers"]!.GetValue<int>() >= fcfs["outreachRequests"]!.GetValue<int>());
        Assert.Equal(15, fair["weeks"]!.GetValue<int>());
        Assert.NotEmpty(fair["assumptions"]!.AsArray());

        // Every child's key destroyed: the answer is the same, so it never needed a child's details.
        await app.Database.ExecuteAsync("DELETE FROM detail_keys");
        var blind = (await coordinator.GetFromJsonAsync<JsonObject>($"/api/reports/what-if?{Period}&policy=fair"))!;
        Assert.Equal(fair.ToJsonString(), blind.ToJsonString());

        using var commissioner = app.As("commissioner", tenant: DemoArea.Tenant);
        var hidden = (await commissioner.GetFromJsonAsync<JsonObject>($"/api/reports/what-if?{Period}&policy=fair"))!;
        Assert.NotNull(hidden["suppression"]);
        Assert.Equal(demand, hidden["actual"]!["demand"]!.GetValue<int>());
        Assert.DoesNotContain("requestId", hidden.ToJsonString(), StringComparison.OrdinalIgnoreCase);

        foreach (var (query, field) in new[] { ("policy=best", "policy"), ("policy=fair&outreach=maybe", "outreach"), ("from=2026-09-01&policy=fair", "to"), ("from=2026-09-01&to=2026-12-10", "policy") })
        {
            var refused = await coordinator.GetAsync($"/api/reports/what-if?{(query.StartsWith("from", StringComparison.Ordinal) ? query : $"{Period}&{query}")}");
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.True((await refused.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject().ContainsKey(field), query);
        }

        using var senco = app.As("senco", urn: "990001", tenant: DemoArea.Tenant);
        Assert.Equal(HttpStatusCode.Forbidden, (await senco.GetAsync($"/api/reports/what-if?{Period}&policy=fair")).StatusCode);
    }

    [Fact]
    public async Task An_area_whose_coordinators_always_followed_the_engine_replays_under_fair_to_exactly_the_allocations_they_made()
    {
        // Monday 7 September 2026, the first week of the academic year.
        await using var app = await ServiceApp.StartAsync(new DateTimeOffset(2026, 9, 7, 9, 0, 0, TimeSpan.FromHours(1)));
        await SeedReferenceDataAsync(app);
        using var admin = app.As("administrator");
        string[] more = ["100002", "100003", "100004"];
        foreach (var (urn, i) in more.Select((u, i) => (u, i)))
        {
            Assert.Equal(HttpStatusCode.Created, (await admin.PutAsJsonAsync($"/api/settings/{urn}", new
            {
                name = $"Setting {urn}", phase = "Primary", locality = "North", inArea = true, numberOnRoll = 120 + (i * 150), percentFsm = 10 + (i * 12), percentSenSupport = 8 + (i * 5), percentEhcp = 1 + i, open = true,
            })).StatusCode);
        }

        // Scarce time: one educational psychologist with six hours a week (two consultations).
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/practitioners/{Ep}", new
        {
            name = "Practitioner ep-1", discipline = "EducationalPsychology", provider = "LocalAuthorityTeam", localities = new[] { "North" }, weeklyCapacityHours = 6, active = true,
        })).StatusCode);

        using var coordinator = app.As("coordinator");
        string[] askers = [Urn, Urn, OtherUrn, Urn, "100002", "100003", Urn, "100004", OtherUrn, Urn];
        var allocations = 0;
        for (var week = 0; week < 5; week++)
        {
            // Each Monday two to four requests are accepted, then the coordinator follows every suggestion, one at a time.
            for (var k = 0; k < 2 + (week % 3); k++)
            {
                var urn = askers[((week * 3) + k) % askers.Length];
                using var senco = app.As("senco", urn: urn);
                var raised = await senco.PostAsJsonAsync("/api/requests", RaiseBody(urn, urgency: k == 0 ? "High" : "Routine"));
                Assert.Equal(HttpStatusCode.Created, raised.StatusCode);
                var id = (await raised.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
                app.Clock.Advance(TimeSpan.FromMinutes(7));
                await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/triage", Accept(k == 0 ? "High" : "Routine"), raised.Headers.ETag!.Tag), HttpStatusCode.OK);
            }

            while ((await coordinator.GetFromJsonAsync<JsonObject>("/api/allocations/suggestions"))!["proposed"]!.AsArray().FirstOrDefault() is { } suggestion)
            {
                var request = suggestion["requestId"]!.GetValue<Guid>();
                var etag = (await coordinator.GetAsync($"/api/requests/{request}")).Headers.ETag!.Tag;
                await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{request}/allocations", new { practitionerId = suggestion["practitionerId"]!.GetValue<string>(), discipline = "EducationalPsychology" }, etag), HttpStatusCode.OK);
                allocations++;
            }

            app.Clock.Advance(TimeSpan.FromDays(7) - TimeSpan.FromMinutes(7 * (2 + (week % 3))));
        }

        Assert.Equal(0L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM rm_allocations WHERE override_reason IS NOT NULL")); // they always followed
        Assert.True(allocations >= 10, $"{allocations} allocations");
        Assert.True(await app.Database.ScalarAsync<long>("SELECT count(*) FROM rm_requests WHERE status = 'AwaitingAllocation'") > 0, "time was scarce: some still wait");
        await app.CatchUpProjectionsAsync();

        var whatIf = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/what-if?from=2026-09-07&to=2026-10-09&policy=fair"))!;
        Assert.Equal(whatIf["actual"]!.ToJsonString(), whatIf["replayed"]!.ToJsonString());
        Assert.Equal(allocations, whatIf["replayed"]!["allocated"]!.GetValue<int>());

        // The same decisions, request by request and week by week, not just the same totals.
        var reader = app.Services.GetRequiredService<Features.Reports.RecordedYearReader>();
        var rules = app.Services.GetRequiredService<Features.Requests.RequestRulesCatalog>().For(ServiceApp.Tenant);
        var year = await reader.ReadAsync(ServiceApp.Tenant, new DateOnly(2026, 9, 7), new DateOnly(2026, 10, 9), rules, CancellationToken.None);
        var replayed = Domain.Allocation.RecordedReplay.Decisions(year, Domain.Allocation.AllocationPolicy.Fair, rules);
        Assert.Equal(year.Demand.Where(d => d.AllocatedOn is not null).ToDictionary(d => d.Id, d => d.AllocatedOn!.Value), replayed);
    }
}
