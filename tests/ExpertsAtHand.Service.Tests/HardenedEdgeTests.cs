using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ExpertsAtHand.Service.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static ExpertsAtHand.Service.Tests.ApiBuilders;

namespace ExpertsAtHand.Service.Tests;

/// <summary>The edges a DPIA reviewer checks: headers, body sizes, duplicate keys, exports, token lifetimes.</summary>
public sealed class HardenedEdgeTests : SeededServiceTest
{
    [Fact]
    public async Task Every_answer_forbids_caching_sniffing_referrers_and_framing()
    {
        foreach (var (client, path) in new[] { (App.As("coordinator"), "/api/triage-queue"), (App.As("coordinator"), "/api/requests/00000000-0000-0000-0000-000000000001"), (App.Client, "/api/requests") })
        {
            var response = await client.GetAsync(path);
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
            Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Https_answers_carry_hsts_and_plain_http_ones_do_not()
    {
        using var https = App.Host.Server.CreateClient();
        https.BaseAddress = new Uri("https://localhost/");
        var secure = await https.GetAsync("/health/live");
        var plain = await App.Client.GetAsync("/health/live");

        Assert.Equal("max-age=31536000; includeSubDomains", secure.Headers.GetValues("Strict-Transport-Security").Single());
        Assert.False(plain.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task A_key_sent_twice_is_a_400_naming_it_so_a_gateway_and_the_service_never_read_different_values()
    {
        var events = await App.EventCountAsync();
        var json = RaiseBody().ToJsonString();
        using var content = new StringContent(json[..^1] + ",\"urgency\":\"Urgent\"}", Encoding.UTF8, "application/json");

        var response = await App.As("senco", urn: Urn).PostAsync("/api/requests", content);

        await ExpectAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("more than once", (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["urgency"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(events, await App.EventCountAsync());
    }

    [Fact]
    public async Task A_body_larger_than_its_kind_of_request_needs_is_refused_before_it_is_read()
    {
        var events = await App.EventCountAsync();
        var body = RaiseBody();
        body["needsSummary"] = new string('x', 70_000);

        using var large = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"); // with its Content-Length, as a browser sends it

        var response = await App.As("senco", urn: Urn).PostAsync("/api/requests", large);

        await ExpectAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(events, await App.EventCountAsync());

        // An import may be far larger than a command.
        var csv = new StringBuilder("Id,Name,Discipline,Provider,Localities,WeeklyCapacityHours,Active\n");
        for (var i = 0; i < 2_000; i++)
        {
            csv.Append(System.Globalization.CultureInfo.InvariantCulture, $"ep-{i},Practitioner {i},EducationalPsychology,LocalAuthorityTeam,North,30,yes\n");
        }

        using var import = new StringContent(csv.ToString(), Encoding.UTF8, "text/csv");
        Assert.True(csv.Length > HardenedEdges.JsonBodyLimit);
        Assert.Equal(HttpStatusCode.OK, (await App.As("administrator").PostAsync("/api/practitioners/import", import)).StatusCode);
    }

    [Fact]
    public async Task A_csv_export_is_an_attachment_whose_cells_cannot_run_as_spreadsheet_formulas()
    {
        Assert.Equal("'=HYPERLINK(\"x\")", ExpertsAtHand.Service.Hosting.CsvCells.Field("=HYPERLINK(\"x\")").Trim('"').Replace("\"\"", "\"", StringComparison.Ordinal));
        foreach (var risky in new[] { "+1", "-1", "@SUM(A1)", "\t=1", "\r=1" })
        {
            Assert.StartsWith("'", ExpertsAtHand.Service.Hosting.CsvCells.Field(risky).TrimStart('"'), StringComparison.Ordinal);
        }

        using var administrator = App.As("administrator");
        var put = await administrator.PutAsJsonAsync("/api/settings/100002", new { name = "Formula School", phase = "Primary", locality = "=cmd", inArea = true, numberOnRoll = 200, percentFsm = 10, percentSenSupport = 12, percentEhcp = 2, postcode = "N1 1AA", open = true });
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await App.CatchUpProjectionsAsync();

        var response = await App.As("commissioner").GetAsync("/api/reports/quarterly-return?quarter=2026-Q4&format=csv");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Contains(",'=cmd,", text, StringComparison.Ordinal);
        Assert.DoesNotContain(",=cmd,", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_that_lives_longer_than_twelve_hours_is_refused_however_it_was_signed()
    {
        var configuration = App.Services.GetRequiredService<IConfiguration>();
        var caller = new Caller("user-1", "coordinator", ServiceApp.Tenant, [], null);
        async Task<HttpStatusCode> Call(TimeSpan lifetime)
        {
            using var client = App.Host.Server.CreateClient();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Identity.MintDevelopmentToken(configuration, caller, lifetime, TimeProvider.System));
            return (await client.GetAsync("/api/triage-queue")).StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await Call(TimeSpan.FromHours(12)));
        Assert.Equal(HttpStatusCode.Unauthorized, await Call(TimeSpan.FromHours(13)));
        Assert.Equal(HttpStatusCode.Unauthorized, await Call(TimeSpan.FromDays(30)));
    }
}
