using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ExpertsAtHand.Domain.Clinics;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.Features.Demo;
using ExpertsAtHand.Service.Features.Requests;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ExpertsAtHand.Service.Tests;

public sealed class EquityReportTests
{
    [Fact]
    public async Task Equity_figures_equal_a_direct_fold_over_the_demo_areas_events()
    {
        await using var app = await ServiceApp.StartAsync(new DateTimeOffset(2026, 12, 10, 12, 0, 0, TimeSpan.Zero));
        var store = app.Services.GetRequiredService<Marten.IDocumentStore>();
        await app.SeedDemoAsync();
        await app.CatchUpProjectionsAsync();

        var report = (await app.As("commissioner", tenant: DemoArea.Tenant).GetFromJsonAsync<JsonObject>("/api/reports/equity?from=2026-09-01&to=2026-12-10"))!;

        // Hours per setting straight from the events: contact minutes, and each attendee's share of a clinic.
        var inScope = report["settings"]!.AsArray().Select(s => s!["urn"]!.GetValue<string>()).ToHashSet();
        var hours = new Dictionary<string, decimal>();
        await using (var session = store.QuerySession(DemoArea.Tenant))
        {
            var streams = await app.Database.ScalarAsync<Guid[]>("SELECT array_agg(DISTINCT stream_id) FROM mt_events WHERE tenant_id = 'demo' AND type IN ('request-raised', 'clinic-scheduled')");
            foreach (var id in streams)
            {
                var data = (await session.Events.FetchStreamAsync(id)).Select(e => e.Data).ToList();
                if (data.OfType<RequestRaised>().SingleOrDefault() is { } raised)
                {
                    var delivered = data.OfType<ContactRecorded>().Where(c => c.Date >= new DateOnly(2026, 9, 1) && c.Date <= new DateOnly(2026, 12, 10)).Sum(c => Math.Round(c.DurationMinutes / 60m, 2));
                    hours[raised.SettingUrn] = hours.GetValueOrDefault(raised.SettingUrn) + delivered;
                }

                if (data.OfType<ClinicScheduled>().SingleOrDefault() is { } clinic)
                {
                    foreach (var attendance in data.OfType<AttendanceRecorded>())
                    {
                        foreach (var urn in attendance.Attended)
                        {
                            hours[urn] = hours.GetValueOrDefault(urn) + Math.Round(clinic.Hours / attendance.Attended.Count, 2);
                        }
                    }
                }
            }
        }

        var served = inScope.Select(urn => hours.GetValueOrDefault(urn)).OrderByDescending(h => h).ToList();
        var expectedTop10 = Math.Round((double)(served.Take(Math.Max(1, served.Count / 10)).Sum() / served.Sum()), 3);
        Assert.Equal(expectedTop10, report["top10PercentShareOfHours"]!.GetValue<double>());
        foreach (var setting in report["settings"]!.AsArray())
        {
            Assert.Equal(hours.GetValueOrDefault(setting!["urn"]!.GetValue<string>()), setting["hoursDelivered"]!.GetValue<decimal>());
        }

        var underServed = report["underServedHighNeed"]!.AsArray();
        Assert.All(underServed, s => Assert.True((s!["hoursShareOfEntitlement"]?.GetValue<double>() ?? 0) < 0.5));
        Assert.InRange(report["topNeedQuartileCoverage"]!.GetValue<double>(), 0, 1);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.As("coordinator", tenant: DemoArea.Tenant).GetAsync("/api/reports/equity?from=2026-09-01&to=2026-12-10&underServedBelow=5")).StatusCode);
    }
}
