using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ExpertsAtHand.Domain.Requests;
using Microsoft.Extensions.DependencyInjection;
using static ExpertsAtHand.Service.Tests.ApiBuilders;

namespace ExpertsAtHand.Service.Tests;

public sealed class DeEscalationReportTests
{
    [Fact]
    public async Task Rates_from_the_projection_equal_a_direct_fold_and_no_child_reference_reaches_the_report()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        using var coordinator = app.As("coordinator");
        using var senco = app.As("senco", urn: Urn);
        using var practitioner = app.As("practitioner", practitioner: Ep);
        var child = new { reference = "Y3-0042", yearGroup = 3, senStatus = "SenSupport", parentalConsent = true };

        async Task<(Guid, string)> Raise(object body)
        {
            var response = await senco.PostAsJsonAsync("/api/requests", body);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return ((await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>(), response.Headers.ETag!.Tag);
        }

        async Task Close(Guid id, string etag, string outcome, bool withContact = false)
        {
            etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/triage", Accept(), etag), HttpStatusCode.OK);
            if (withContact)
            {
                etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/allocations", new { practitionerId = Ep, discipline = "EducationalPsychology", overrideReason = "Test arrangement." }, etag), HttpStatusCode.OK);
                etag = await ExpectAsync(await PostAsync(practitioner, $"/api/requests/{id}/contacts", new { date = "2026-10-05", durationMinutes = 60, mode = "InPerson", attended = new[] { "Senco" } }, etag), HttpStatusCode.OK);
            }

            await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/closure", new { outcome, note = "Done." }, etag), HttpStatusCode.OK);
        }

        var (a, ea) = await Raise(RaiseBody());
        await Close(a, ea, "NeedsMetInSetting");
        var (b, eb) = await Raise(RaiseBody());
        await Close(b, eb, "EhcNeedsAssessmentRequested");
        var (c, ec) = await Raise(RaiseBody());
        await ExpectAsync(await PostAsync(senco, $"/api/requests/{c}/withdrawal", new { reason = "Resolved." }, ec), HttpStatusCode.OK);
        var (d, ed) = await Raise(RaiseBody());
        await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{d}/triage", new { decision = "Decline", rationale = "Below threshold.", signposting = "Universal offer." }, ed), HttpStatusCode.OK);
        var (e, ee) = await Raise(RaiseBody(level: "Individual", child: child));
        await Close(e, ee, "NeedsMetInSetting", withContact: true);
        app.Clock.Advance(TimeSpan.FromDays(30));
        await Raise(RaiseBody(level: "Individual", child: child)); // the same child again within six months

        await app.CatchUpProjectionsAsync();
        var response = await coordinator.GetAsync("/api/reports/de-escalation?from=2026-09-01&to=2026-12-31");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("Y3-0042", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Y3-0042", await app.Database.ScalarAsync<string>("SELECT string_agg(coalesce(child_key, ''), ',') FROM rpt_episodes"), StringComparison.Ordinal);
        var report = JsonNode.Parse(text)!;

        // The same measures folded straight from the events of every request stream.
        var outcomes = new List<ClosureOutcome>();
        await using (var session = app.Services.GetRequiredService<Marten.IDocumentStore>().QuerySession(ServiceApp.Tenant))
        {
            var ids = await app.Database.ScalarAsync<Guid[]>("SELECT array_agg(DISTINCT stream_id) FROM mt_events WHERE type = 'request-raised'");
            foreach (var id in ids)
            {
                outcomes.AddRange((await session.Events.FetchStreamAsync(id)).Select(s => s.Data switch
                {
                    RequestClosed closed => closed.Outcome,
                    RequestWithdrawn => ClosureOutcome.Withdrawn,
                    _ => (ClosureOutcome?)null,
                }).OfType<ClosureOutcome>());
            }
        }

        var counted = outcomes.Where(o => o != ClosureOutcome.Withdrawn).ToList();
        Assert.Equal(outcomes.Count, report["closed"]!.GetValue<long>());
        Assert.Equal(Math.Round(counted.Count(o => o is ClosureOutcome.NeedsMetInSetting or ClosureOutcome.ContinuingWithUniversalSupport) / (double)counted.Count, 3), report["deEscalationRate"]!.GetValue<double>());
        Assert.Equal(Math.Round(counted.Count(o => o is ClosureOutcome.EhcNeedsAssessmentRequested or ClosureOutcome.SpecialistPlacementSought) / (double)counted.Count, 3), report["escalationRate"]!.GetValue<double>());
        Assert.Equal(0.5, report["deEscalationRate"]!.GetValue<double>());
        Assert.Equal(2, report["individualRaised"]!.GetValue<long>());
        Assert.Equal(0.5, report["repeatRate"]!.GetValue<double>());
        Assert.Equal(1, report["childrenSupportedWithoutPlan"]!.GetValue<long>());
    }
}
