using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExpertsAtHand.Service.Tests;

/// <summary>Arranges reference data and requests through the API itself.</summary>
public static class ApiBuilders
{
    public const string Urn = "100000";
    public const string OtherUrn = "100001";
    public const string Ep = "ep-1";
    public const string Salt = "salt-1";

    public static async Task SeedReferenceDataAsync(ServiceApp app)
    {
        using var admin = app.As("administrator");
        foreach (var (urn, name) in new[] { (Urn, "Aldgate Primary"), (OtherUrn, "Barbican Secondary") })
        {
            var put = await admin.PutAsJsonAsync($"/api/settings/{urn}", new
            {
                name,
                phase = urn == Urn ? "Primary" : "Secondary",
                locality = "North",
                inArea = true,
                numberOnRoll = 271,
                percentFsm = 18.1,
                percentSenSupport = 14.2,
                percentEhcp = 2.1,
                postcode = "EC3A 5DE",
                open = true,
            });
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        foreach (var (id, discipline) in new[] { (Ep, "EducationalPsychology"), (Salt, "SpeechAndLanguageTherapy") })
        {
            var put = await admin.PutAsJsonAsync($"/api/practitioners/{id}", new
            {
                name = $"Practitioner {id}",
                discipline,
                provider = id == Ep ? "LocalAuthorityTeam" : "NhsTrust",
                localities = new[] { "North" },
                weeklyCapacityHours = 30,
                active = true,
            });
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }
    }

    public static JsonObject RaiseBody(string urn = Urn, string level = "WholeSetting", object? child = null, string urgency = "Routine") => new()
    {
        ["settingUrn"] = urn,
        ["level"] = level,
        ["disciplines"] = new JsonArray("EducationalPsychology"),
        ["areasOfNeed"] = new JsonArray("CommunicationAndInteraction"),
        ["needsSummary"] = "Several pupils in Year 1 are not yet using two-word phrases.",
        ["actionTaken"] = "Language screening and small-group talk sessions for a term, reviewed in July.",
        ["child"] = child is null ? null : JsonSerializer.SerializeToNode(child),
        ["urgency"] = urgency,
    };

    /// <summary>A three-hour speech and language drop-in run by <see cref="Salt"/> (Thursday 8 October 2026 by default).</summary>
    public static object ClinicBody(int places = 4, string date = "2026-10-08", string locality = "North") => new
    {
        kind = "ConsultationClinic",
        title = "Speech and language drop-in",
        discipline = "SpeechAndLanguageTherapy",
        practitionerId = Salt,
        date,
        hours = 3,
        places,
        locality,
    };

    public static async Task<(Guid Id, string ETag)> RaiseAsync(ServiceApp app, string urn = Urn)
    {
        using var senco = app.As("senco", urn: urn);
        var response = await senco.PostAsJsonAsync("/api/requests", RaiseBody(urn));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return (body!["id"]!.GetValue<Guid>(), response.Headers.ETag!.Tag);
    }

    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, object body, string? ifMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (ifMatch is not null)
        {
            request.Headers.IfMatch.Add(EntityTagHeaderValue.Parse(ifMatch));
        }

        return await client.SendAsync(request);
    }

    public static async Task<string> ExpectAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return response.Headers.ETag?.Tag ?? string.Empty;
    }

    public static object Accept(string priority = "High") => new
    {
        decision = "Accept",
        rationale = "Meets the threshold for a consultation.",
        supportType = "Consultation",
        disciplines = new[] { "EducationalPsychology" },
        priority,
    };

    /// <summary>A coordinator accepts the request and closes it with an outcome; returns the last ETag.</summary>
    public static async Task<string> AcceptAndCloseAsync(ServiceApp app, Guid id, string etag, string outcome)
    {
        using var coordinator = app.As("coordinator");
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/triage", Accept(), etag), HttpStatusCode.OK);
        return await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/closure", new { outcome, note = "Done." }, etag), HttpStatusCode.OK);
    }
}
