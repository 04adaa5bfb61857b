using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ExpertsAtHand.Domain.Clinics;
using ExpertsAtHand.Domain.Requests;
using Microsoft.Extensions.DependencyInjection;
using static ExpertsAtHand.Service.Tests.ApiBuilders;

namespace ExpertsAtHand.Service.Tests;

public sealed class CoverageReportTests
{
    [Fact]
    public async Task Coverage_counts_settings_reached_by_contacts_or_clinics_and_equals_a_direct_fold()
    {
        await using var app = await ServiceApp.StartAsync(); // Monday 5 October 2026
        await SeedReferenceDataAsync(app);
        using var administrator = app.As("administrator");
        await administrator.PutAsJsonAsync("/api/settings/100002", new { name = "Out of Area College", phase = "FurtherEducation", locality = "Elsewhere", inArea = false, numberOnRoll = 2000, percentFsm = 20, percentSenSupport = 10, percentEhcp = 2, open = true });
        using var coordinator = app.As("coordinator");

        var (id, etag) = await RaiseAsync(app);
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/triage", Accept(), etag), HttpStatusCode.OK);
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/allocations", new { practitionerId = Ep, discipline = "EducationalPsychology" }, etag), HttpStatusCode.OK);
        await ExpectAsync(await PostAsync(app.As("practitioner", practitioner: Ep), $"/api/requests/{id}/contacts", new { date = "2026-10-05", durationMinutes = 90, mode = "InPerson", attended = new[] { "Senco" } }, etag), HttpStatusCode.OK);

        var clinic = await coordinator.PostAsJsonAsync("/api/clinics", new { kind = "Training", title = "Attention and listening", discipline = "SpeechAndLanguageTherapy", practitionerId = Salt, date = "2026-10-07", hours = 3, places = 10, locality = "North" });
        var clinicId = (await clinic.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
        await coordinator.PostAsJsonAsync($"/api/clinics/{clinicId}/bookings", new { settingUrn = OtherUrn });
        app.Clock.Advance(TimeSpan.FromDays(3));
        Assert.Equal(HttpStatusCode.OK, (await coordinator.PostAsJsonAsync($"/api/clinics/{clinicId}/attendance", new { attended = new[] { OtherUrn } })).StatusCode);

        await app.CatchUpProjectionsAsync();
        var report = (await app.As("coordinator").GetFromJsonAsync<JsonObject>("/api/reports/coverage?from=2026-10-01&to=2026-10-31"))!;

        // Delivered hours folded straight from the events.
        var delivered = new Dictionary<string, decimal>();
        await using (var session = app.Services.GetRequiredService<Marten.IDocumentStore>().QuerySession(ServiceApp.Tenant))
        {
            var request = await session.Events.FetchStreamAsync(id);
            var urn = request.Select(e => e.Data).OfType<RequestRaised>().Single().SettingUrn;
            delivered[urn] = request.Select(e => e.Data).OfType<ContactRecorded>().Sum(c => c.DurationMinutes / 60m);
            var clinicEvents = (await session.Events.FetchStreamAsync(clinicId)).Select(e => e.Data).ToList();
            var hours = clinicEvents.OfType<ClinicScheduled>().Single().Hours;
            foreach (var attended in clinicEvents.OfType<AttendanceRecorded>().SelectMany(a => a.Attended.Select(u => (u, share: hours / a.Attended.Count))))
            {
                delivered[attended.u] = delivered.GetValueOrDefault(attended.u) + attended.share;
            }
        }

        var rows = report["rows"]!.AsArray();
        Assert.Equal(["North/Primary", "North/Secondary"], rows.Select(r => $"{r!["locality"]}/{r!["phase"]}"));
        Assert.Equal(delivered[Urn], rows[0]!["hoursDelivered"]!.GetValue<decimal>());
        Assert.Equal(delivered[OtherUrn], rows[1]!["hoursDelivered"]!.GetValue<decimal>());
        Assert.Equal(2, report["total"]!["settingsInScope"]!.GetValue<long>()); // the out-of-area college is not in scope
        Assert.Equal(1.0, report["total"]!["coverage"]!.GetValue<double>());
        Assert.True(report["lastEventPosition"]!.GetValue<long>() > 0);

        var november = (await coordinator.GetFromJsonAsync<JsonObject>("/api/reports/coverage?from=2026-11-01&to=2026-11-30"))!;
        Assert.Equal(0.0, november["total"]!["coverage"]!.GetValue<double>());
    }
}
