using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ExpertsAtHand.Service.Features.Demo;
using ExpertsAtHand.Service.Features.Requests;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ExpertsAtHand.Service.Tests;

public sealed class QuarterlyReturnTests
{
    [Fact]
    public async Task The_quarterly_return_suppresses_small_counts_and_carries_no_child_reference()
    {
        await using var app = await ServiceApp.StartAsync(new DateTimeOffset(2026, 12, 10, 12, 0, 0, TimeSpan.Zero));
        await app.SeedDemoAsync();
        await app.CatchUpProjectionsAsync();
        using var commissioner = app.As("commissioner", tenant: DemoArea.Tenant);

        var json = (await commissioner.GetFromJsonAsync<JsonObject>("/api/reports/quarterly-return?quarter=2026-Q4"))!;
        var lines = json["lines"]!.AsArray().Select(l => (Locality: l!["locality"]!.GetValue<string>(), Phase: l["phase"]!.GetValue<string>(), Measure: l["measure"]!.GetValue<string>(), Value: l["value"]!.GetValue<string>())).ToList();
        var counts = new[] { "settings_in_scope", "settings_supported", "triaged", "first_contacts", "closed_except_withdrawn", "children_supported_without_plan" };
        Assert.DoesNotContain(lines.Where(l => counts.Contains(l.Measure)), l => long.TryParse(l.Value, out var n) && n is >= 1 and <= 4);
        Assert.Contains(lines, l => l.Value == "c");
        var inScope = long.Parse(lines.Single(l => l is { Locality: "All", Measure: "settings_in_scope" }).Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(inScope, 130, 150);

        var nhs = (await commissioner.GetFromJsonAsync<JsonObject>("/api/reports/quarterly-return?quarter=2026-Q4&suppression=nhs"))!;
        var nhsInScope = nhs["lines"]!.AsArray().Single(l => l!["locality"]!.GetValue<string>() == "All" && l["measure"]!.GetValue<string>() == "settings_in_scope")!["value"]!.GetValue<string>();
        Assert.Equal(0, int.Parse(nhsInScope, System.Globalization.CultureInfo.InvariantCulture) % 5);

        var csv = await commissioner.GetAsync("/api/reports/quarterly-return?quarter=2026-Q4&format=csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var text = await csv.Content.ReadAsStringAsync();
        Assert.StartsWith("quarter,locality,phase,measure,value\n", text, StringComparison.Ordinal);
        Assert.Equal(lines.Count + 1, text.TrimEnd('\n').Split('\n').Length);
        var references = await app.Database.ScalarAsync<string[]>("SELECT array_agg(DISTINCT data->'child'->>'reference') FROM mt_events WHERE type = 'request-raised' AND data->'child' <> 'null'::jsonb");
        Assert.NotEmpty(references);
        Assert.All(references, reference => Assert.DoesNotContain(reference, text, StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.BadRequest, (await commissioner.GetAsync("/api/reports/quarterly-return?quarter=2026-Q5")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.As("senco", urn: "990001", tenant: DemoArea.Tenant).GetAsync("/api/reports/quarterly-return?quarter=2026-Q4")).StatusCode);
    }
}
