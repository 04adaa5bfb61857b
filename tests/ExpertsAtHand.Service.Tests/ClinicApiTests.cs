using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static ExpertsAtHand.Service.Tests.ApiBuilders;

namespace ExpertsAtHand.Service.Tests;

public sealed class ClinicApiTests
{
    [Fact]
    public async Task Settings_book_places_until_full_and_attendance_counts_as_delivered_support()
    {
        await using var app = await ServiceApp.StartAsync(); // Monday 5 October 2026
        await SeedReferenceDataAsync(app);
        using var coordinator = app.As("coordinator");
        var scheduled = await coordinator.PostAsJsonAsync("/api/clinics", ClinicBody(places: 1));
        Assert.Equal(HttpStatusCode.Created, scheduled.StatusCode);
        var id = (await scheduled.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();

        // Two SENCOs race for the last place: exactly one gets it.
        using var first = app.As("senco", urn: Urn);
        using var second = app.As("senco", urn: OtherUrn);
        var race = await Task.WhenAll(
            first.PostAsJsonAsync($"/api/clinics/{id}/bookings", new { settingUrn = Urn }),
            second.PostAsJsonAsync($"/api/clinics/{id}/bookings", new { settingUrn = OtherUrn }));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], race.Select(r => r.StatusCode).Order());
        var winner = race[0].StatusCode == HttpStatusCode.OK ? Urn : OtherUrn;
        Assert.Equal(HttpStatusCode.Forbidden, (await first.PostAsJsonAsync($"/api/clinics/{id}/bookings", new { settingUrn = "100099" })).StatusCode);

        var seenBySenco = (await first.GetFromJsonAsync<JsonArray>("/api/clinics"))!.Single()!;
        Assert.Equal(0, seenBySenco["placesLeft"]!.GetValue<int>());
        Assert.Equal(winner == Urn ? 1 : 0, seenBySenco["booked"]!.AsArray().Count); // never another school's booking

        using var practitioner = app.As("practitioner", practitioner: Salt);
        Assert.Equal(HttpStatusCode.Conflict, (await practitioner.PostAsJsonAsync($"/api/clinics/{id}/attendance", new { attended = new[] { winner } })).StatusCode);
        app.Clock.Advance(TimeSpan.FromDays(3));
        Assert.Equal(HttpStatusCode.OK, (await practitioner.PostAsJsonAsync($"/api/clinics/{id}/attendance", new { attended = new[] { winner } })).StatusCode);

        Assert.Equal(3m, await app.Database.ScalarAsync<decimal>("SELECT hours FROM rm_clinic_attendance WHERE setting_urn = $1", winner));
        Assert.Equal(HttpStatusCode.BadRequest, (await coordinator.PostAsJsonAsync("/api/clinics", new { kind = "Party", title = "x" })).StatusCode);
    }
}
