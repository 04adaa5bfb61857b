using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ExpertsAtHand.Domain.Requests;
using Microsoft.Extensions.DependencyInjection;
using static ExpertsAtHand.Service.Tests.ApiBuilders;

namespace ExpertsAtHand.Service.Tests;

public sealed class TimelinessReportTests
{
    private static readonly TimeSpan Bst = TimeSpan.FromHours(1);

    [Fact]
    public async Task Timeliness_from_the_projection_equals_a_direct_fold_over_the_events_and_a_rebuild_changes_nothing()
    {
        await using var app = await ServiceApp.StartAsync(new DateTimeOffset(2026, 10, 5, 9, 0, 0, Bst)); // Monday
        await SeedReferenceDataAsync(app);
        using var coordinator = app.As("coordinator");
        using var practitioner = app.As("practitioner", practitioner: Ep);
        var requests = new List<(Guid Id, string ETag)>();
        for (var i = 0; i < 3; i++)
        {
            requests.Add(await RaiseAsync(app));
        }

        using (var senco = app.As("senco", urn: Urn))
        {
            var child = await senco.PostAsJsonAsync("/api/requests", RaiseBody(level: "Individual", child: new { reference = "Y3-0042", yearGroup = 3, senStatus = "SenSupport", parentalConsent = true }));
            Assert.Equal(HttpStatusCode.Created, child.StatusCode);
        }

        async Task<string> TriageOn(int index, DateTimeOffset at)
        {
            app.Clock.Set(at);
            return await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{requests[index].Id}/triage", Accept(), requests[index].ETag), HttpStatusCode.OK);
        }

        var first = await TriageOn(0, new DateTimeOffset(2026, 10, 6, 10, 0, 0, Bst)); // 1 working day
        await TriageOn(1, new DateTimeOffset(2026, 10, 12, 10, 0, 0, Bst)); // 5
        await TriageOn(2, new DateTimeOffset(2026, 10, 14, 10, 0, 0, Bst)); // 7: missed
        first = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{requests[0].Id}/allocations", new { practitionerId = Ep, discipline = "EducationalPsychology", overrideReason = "Test arrangement." }, first), HttpStatusCode.OK);
        await ExpectAsync(await PostAsync(practitioner, $"/api/requests/{requests[0].Id}/contacts", new { date = "2026-10-08", durationMinutes = 60, mode = "InPerson", attended = new[] { "Senco" } }, first), HttpStatusCode.OK);

        await app.CatchUpProjectionsAsync();
        var response = await coordinator.GetAsync("/api/reports/timeliness?from=2026-10-01&to=2026-10-31");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("Y3-0042", text, StringComparison.Ordinal); // no child reference reaches a report
        var report = JsonNode.Parse(text)!;
        var all = report["groups"]!.AsArray().Single()!;

        // The same measure computed independently, straight from the stored events.
        var triageDays = new List<double>();
        var triageMet = 0;
        var contactDays = new List<double>();
        await using (var session = app.Services.GetRequiredService<Marten.IDocumentStore>().QuerySession(ServiceApp.Tenant))
        {
            foreach (var (id, _) in requests)
            {
                foreach (var stored in await session.Events.FetchStreamAsync(id))
                {
                    switch (stored.Data)
                    {
                        case TriageClockStopped t:
                            triageDays.Add(t.WorkingDays);
                            triageMet += t.Met ? 1 : 0;
                            break;
                        case FirstContactRecorded f:
                            contactDays.Add(f.WorkingDays);
                            break;
                    }
                }
            }
        }

        Assert.Equal([1d, 5d, 7d], triageDays.Order());
        Assert.Equal(triageDays.Count, all["timeToTriage"]!["count"]!.GetValue<long>());
        Assert.Equal(Percentile(triageDays, 0.5), all["timeToTriage"]!["median"]!.GetValue<double>(), 3);
        Assert.Equal(Percentile(triageDays, 0.9), all["timeToTriage"]!["p90"]!.GetValue<double>(), 3);
        Assert.Equal(Math.Round((double)triageMet / triageDays.Count, 3), all["timeToTriage"]!["shareWithinStandard"]!.GetValue<double>(), 3);
        Assert.Equal(Percentile(contactDays, 0.5), all["timeToFirstContact"]!["median"]!.GetValue<double>(), 3);
        Assert.True(report["lastEventPosition"]!.GetValue<long>() >= await app.Database.ScalarAsync<long>("SELECT max(seq_id) FROM mt_events WHERE type = 'first-contact-recorded'"));

        var byProvider = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/timeliness?from=2026-10-01&to=2026-10-31&groupBy=provider"))!;
        Assert.Equal(["LocalAuthorityTeam", "Not yet allocated"], byProvider["groups"]!.AsArray().Select(g => g!["group"]!.GetValue<string>()));

        var live = await app.Database.ScalarAsync<string>("SELECT string_agg(request_id || ':' || episode || ':' || coalesce(triage_days, -1) || ':' || coalesce(provider, '-'), ',' ORDER BY request_id) FROM rpt_request_clocks");
        await app.RebuildAsync("timeliness");
        Assert.Equal(live, await app.Database.ScalarAsync<string>("SELECT string_agg(request_id || ':' || episode || ':' || coalesce(triage_days, -1) || ':' || coalesce(provider, '-'), ',' ORDER BY request_id) FROM rpt_request_clocks"));

        var status = (await app.As("administrator").GetFromJsonAsync<JsonArray>("/api/admin/projections"))!.Single(p => p!["name"]!.GetValue<string>() == "timeliness")!;
        Assert.Equal("timeliness", status["name"]!.GetValue<string>());
        Assert.Equal(0, status["lag"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.BadRequest, (await coordinator.GetAsync("/api/reports/timeliness?from=2026-10-31&to=2026-10-01")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.As("senco", urn: Urn).GetAsync("/api/reports/timeliness?from=2026-10-01&to=2026-10-31")).StatusCode);
    }

    /// <summary>Linear interpolation between closest ranks, as PostgreSQL's percentile_cont.</summary>
    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        var rank = p * (sorted.Count - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return Math.Round(sorted[low] + ((rank - low) * (sorted[high] - sorted[low])), 3);
    }
}
