using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ExpertsAtHand.Service.Features.Demo;

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
}
