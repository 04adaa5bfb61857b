using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ExpertsAtHand.Service.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static ExpertsAtHand.Service.Tests.ApiBuilders;

namespace ExpertsAtHand.Service.Tests;

/// <summary>Inputs that must be refused clearly, naming what was wrong, and change nothing.</summary>
public sealed class InputRefusalTests : SeededServiceTest
{
    [Theory]
    [InlineData("2015-03-14", "date")]
    [InlineData("14-03-2015", "date")]
    [InlineData("20150314", "date")]
    [InlineData("140315", "date")]
    [InlineData("JaneSmith2015", "name")]
    [InlineData("Smith-07", "name")]
    public async Task A_child_reference_that_reads_as_a_date_of_birth_or_a_name_is_refused_and_nothing_is_written(string reference, string why)
    {
        using var senco = App.As("senco", urn: Urn);
        var events = await App.EventCountAsync();

        var response = await senco.PostAsJsonAsync("/api/requests", RaiseBody(level: "Individual", child: new { reference, yearGroup = 3, senStatus = "SenSupport", parentalConsent = true }));

        await ExpectAsync(response, HttpStatusCode.BadRequest);
        var message = (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["child.reference"]![0]!.GetValue<string>();
        Assert.Contains(why, message, StringComparison.Ordinal);
        Assert.Contains("such as Y3-0042", message, StringComparison.Ordinal); // says what a reference should look like
        Assert.Equal(events, await App.EventCountAsync());
    }

    [Fact]
    public async Task A_pseudonymous_reference_with_initials_and_digits_is_accepted()
    {
        using var senco = App.As("senco", urn: Urn);
        foreach (var reference in new[] { "Y3-0042", "D001-42", "NMR-17" })
        {
            var response = await senco.PostAsJsonAsync("/api/requests", RaiseBody(level: "Individual", child: new { reference, yearGroup = 3, senStatus = "SenSupport", parentalConsent = true }));
            await ExpectAsync(response, HttpStatusCode.Created);
        }
    }

    [Fact]
    public async Task A_filter_naming_a_locality_the_area_does_not_have_is_refused_listing_those_it_has_and_any_case_is_read_as_the_area_spells_it()
    {
        using var commissioner = App.As("commissioner");
        var unknown = await commissioner.GetAsync("/api/reports/coverage?from=2026-09-01&to=2026-12-31&locality=Nowhere%20Town");
        await ExpectAsync(unknown, HttpStatusCode.BadRequest);
        Assert.Contains("North", (await unknown.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["locality"]![0]!.GetValue<string>(), StringComparison.Ordinal);

        var lower = (await commissioner.GetFromJsonAsync<JsonObject>("/api/reports/coverage?from=2026-09-01&to=2026-12-31&locality=north&phase=primary"))!;
        Assert.Equal("North", lower["filters"]!["locality"]!.GetValue<string>());
        Assert.Equal("Primary", lower["filters"]!["phase"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, (await App.As("coordinator").GetAsync("/api/practitioners?locality=Nowhere")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await App.As("coordinator").GetAsync("/api/requests?setting=999999")).StatusCode);
    }

    [Theory]
    [InlineData("/api/requests?status=Sideways", "status", "AwaitingTriage")]
    [InlineData("/api/requests?priority=2", "priority", "Urgent")]
    [InlineData("/api/requests?page=2147483647", "page", "100,000")]
    [InlineData("/api/requests?page=abc", "page", "whole number")]
    [InlineData("/api/requests?pageSize=0", "pageSize", "200")]
    [InlineData("/api/reports/coverage?from=2026-13-01&to=2026-12-31", "from", "yyyy-MM-dd")]
    [InlineData("/api/reports/coverage?from=2026-01-01&to=9999-12-31", "to", "2099-12-31")]
    [InlineData("/api/reports/coverage?from=2026-01-01&to=2026-03-31&asOf=9999-01-01", "asOf", "2099-12-31")]
    [InlineData("/api/reports/timeliness?from=2026-01-01&to=2026-03-31&priority=soon", "priority", "Routine")]
    [InlineData("/api/reports/quarterly-return?quarter=9999-Q4", "quarter", "2099-Q4")]
    [InlineData("/api/clinics?from=0001-01-01", "from", "2000-01-01")]
    [InlineData("/api/allocations/suggestions?requestId=not-an-id", "requestId", "An id")]
    [InlineData("/api/outreach?quietWeeks=many", "quietWeeks", "whole number")]
    public async Task A_query_value_that_does_not_fit_is_a_400_naming_the_parameter_and_what_it_accepts(string path, string parameter, string accepted)
    {
        var response = await App.As("coordinator").GetAsync(path);

        await ExpectAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
        Assert.Contains(accepted, errors[parameter]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Query_enum_values_are_read_in_any_case_as_bodies_are()
    {
        var (id, etag) = await RaiseAsync(App);
        await AcceptAndCloseAsync(App, id, etag, "NeedsMetInSetting");
        var closed = (await App.As("coordinator").GetFromJsonAsync<JsonObject>("/api/requests?status=closed&priority=HIGH"))!;
        Assert.Equal(id, closed["items"]![0]!["id"]!.GetValue<Guid>());
    }

    [Fact]
    public async Task Control_characters_in_a_body_a_query_or_an_imported_cell_are_refused_by_name_and_nothing_is_written()
    {
        using var senco = App.As("senco", urn: Urn);
        var events = await App.EventCountAsync();
        var body = RaiseBody();
        body["needsSummary"] = "Needs\u0000 more";
        var response = await senco.PostAsJsonAsync("/api/requests", body);
        await ExpectAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("control characters", (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["needsSummary"]![0]!.GetValue<string>(), StringComparison.Ordinal);

        var query = await App.As("commissioner").GetAsync("/api/reports/coverage?from=2026-09-01&to=2026-12-31&locality=North%00");
        await ExpectAsync(query, HttpStatusCode.BadRequest);
        Assert.NotNull((await query.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["locality"]);

        using var administrator = App.As("administrator");
        var csv = "Id,Name,Discipline,Provider,Localities,WeeklyCapacityHours,Active\nep-9,Nul\u0000 Name,EducationalPsychology,LocalAuthorityTeam,North,30,yes\n";
        using var import = new StringContent(csv, Encoding.UTF8, "text/csv");
        var imported = await administrator.PostAsync("/api/practitioners/import", import);
        var text = await imported.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, imported.StatusCode);
        Assert.Contains("Name", text, StringComparison.Ordinal);
        Assert.Equal(events, await App.EventCountAsync());
    }

    [Fact]
    public async Task A_truncated_body_is_blamed_on_the_body_not_on_the_last_field_read()
    {
        using var senco = App.As("senco", urn: Urn);
        var whole = RaiseBody().ToJsonString();
        using var content = new StringContent(whole[..(whole.IndexOf("needsSummary", StringComparison.Ordinal) + 30)], Encoding.UTF8, "application/json");
        var response = await senco.PostAsync("/api/requests", content);

        await ExpectAsync(response, HttpStatusCode.BadRequest);
        var errors = (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
        Assert.Equal(["body"], errors.Select(e => e.Key));
        Assert.Contains("not complete", errors["body"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_if_match_of_zero_is_stale_not_malformed_and_every_stale_write_returns_the_current_etag_and_what_to_do()
    {
        var (id, _) = await RaiseAsync(App);
        var stale = await PostAsync(App.As("coordinator"), $"/api/requests/{id}/triage", Accept(), "\"0\"");
        await ExpectAsync(stale, HttpStatusCode.PreconditionFailed);
        Assert.Equal("\"1\"", stale.Headers.ETag!.Tag);

        using var administrator = App.As("administrator");
        using var put = new HttpRequestMessage(HttpMethod.Put, $"/api/settings/{Urn}")
        {
            Content = JsonContent.Create(new { name = "Aldgate Primary", phase = "Primary", locality = "North", inArea = true, numberOnRoll = 300, percentFsm = 18.1, percentSenSupport = 14.2, percentEhcp = 2.1, postcode = "EC3A 5DE", open = true }),
        };
        put.Headers.IfMatch.Add(new EntityTagHeaderValue("\"7\""));
        var response = await administrator.SendAsync(put);
        await ExpectAsync(response, HttpStatusCode.PreconditionFailed);
        Assert.Equal("\"1\"", response.Headers.ETag!.Tag);
        Assert.Contains("version 1", (await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_clinic_on_a_bank_holiday_or_in_a_locality_the_area_lacks_and_a_request_for_a_closed_setting_are_refused()
    {
        using var coordinator = App.As("coordinator");
        var events = await App.EventCountAsync();

        var holiday = await coordinator.PostAsJsonAsync("/api/clinics", ClinicBody(date: "2026-12-28")); // substitute Boxing Day
        await ExpectAsync(holiday, HttpStatusCode.BadRequest);
        Assert.Contains("bank holiday", (await holiday.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["date"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        var nowhere = await coordinator.PostAsJsonAsync("/api/clinics", ClinicBody(locality: "Atlantis"));
        await ExpectAsync(nowhere, HttpStatusCode.BadRequest);
        Assert.Contains("North", (await nowhere.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["locality"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        var farAhead = await coordinator.PostAsJsonAsync("/api/clinics", ClinicBody(date: "9999-12-31"));
        await ExpectAsync(farAhead, HttpStatusCode.BadRequest);
        Assert.Contains("two years", (await farAhead.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["date"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        await ExpectAsync(await coordinator.PostAsJsonAsync($"/api/practitioners/{Ep}/absences", new { from = "0001-01-01", to = "0001-01-02", reason = "Typo" }), HttpStatusCode.BadRequest);
        var scheduled = await coordinator.PostAsJsonAsync("/api/clinics", ClinicBody(locality: "north"));
        await ExpectAsync(scheduled, HttpStatusCode.Created);
        Assert.Equal("North", (await scheduled.Content.ReadFromJsonAsync<JsonObject>())!["locality"]!.GetValue<string>());
        events++;

        using var administrator = App.As("administrator");
        Assert.Equal(HttpStatusCode.OK, (await administrator.PutAsJsonAsync($"/api/settings/{OtherUrn}", new { name = "Barbican Secondary", phase = "Secondary", locality = "North", inArea = true, numberOnRoll = 271, percentFsm = 18.1, percentSenSupport = 14.2, percentEhcp = 2.1, postcode = "EC3A 5DE", open = false })).StatusCode);
        events++;
        var closed = await App.As("senco", urn: OtherUrn).PostAsJsonAsync("/api/requests", RaiseBody(OtherUrn));
        await ExpectAsync(closed, HttpStatusCode.BadRequest);
        Assert.Contains("closed", (await closed.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["settingUrn"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(events, await App.EventCountAsync());
    }

    [Theory]
    [InlineData("refused")]
    [InlineData("shutting down")]
    public async Task A_database_that_cannot_be_reached_is_a_503_with_retry_after_not_a_500(string how)
    {
        using var logs = new CapturedLogs();
        var handler = new ProblemResponses(App.Services.GetRequiredService<IProblemDetailsService>(), logs.CreateLogger<ProblemResponses>());
        var http = new DefaultHttpContext { RequestServices = App.Services };
        http.Response.Body = new MemoryStream();
        Exception outage = how == "refused"
            ? new Npgsql.NpgsqlException("Failed to connect to 127.0.0.1:5432", new System.Net.Sockets.SocketException(111))
            : new Npgsql.PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", Npgsql.PostgresErrorCodes.AdminShutdown);

        Assert.True(await handler.TryHandleAsync(http, outage, CancellationToken.None));

        Assert.Equal(503, http.Response.StatusCode);
        Assert.Equal("5", http.Response.Headers.RetryAfter.ToString());
        Assert.DoesNotContain(logs.Entries, e => e.Level == LogLevel.Error); // an outage, not a bug
        var refusedQuery = new Npgsql.PostgresException("syntax error", "ERROR", "ERROR", Npgsql.PostgresErrorCodes.SyntaxError);
        var other = new DefaultHttpContext { RequestServices = App.Services };
        other.Response.Body = new MemoryStream();
        await handler.TryHandleAsync(other, refusedQuery, CancellationToken.None);
        Assert.Equal(500, other.Response.StatusCode); // our own bug stays a 500
    }

    [Fact]
    public async Task Every_500_is_logged_with_the_trace_id_the_client_was_given_and_no_parameter_values()
    {
        var logs = new CapturedLogs();
        var handler = new ProblemResponses(App.Services.GetRequiredService<IProblemDetailsService>(), logs.CreateLogger<ProblemResponses>());
        var http = new DefaultHttpContext { RequestServices = App.Services, TraceIdentifier = "trace-0042" };
        http.Request.Method = "GET";
        http.Response.Body = new MemoryStream();
        var failure = new Npgsql.PostgresException("duplicate key value violates unique constraint", "ERROR", "ERROR", "23505", detail: "Key (reference)=(Y3-0042) already exists.");

        Assert.True(await handler.TryHandleAsync(http, failure, CancellationToken.None));

        Assert.Equal(500, http.Response.StatusCode);
        var entry = Assert.Single(logs.Entries);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Contains("trace-0042", entry.Message, StringComparison.Ordinal);
        Assert.Contains("23505", entry.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Y3-0042", entry.Message, StringComparison.Ordinal);
        http.Response.Body.Position = 0;
        Assert.Contains("trace-0042", await new StreamReader(http.Response.Body).ReadToEndAsync(), StringComparison.Ordinal);
    }
}
