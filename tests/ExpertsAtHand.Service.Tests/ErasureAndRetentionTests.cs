using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.EventLog;
using ExpertsAtHand.Service.Features.AccessLog;
using ExpertsAtHand.Service.Features.Privacy;
using ExpertsAtHand.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static ExpertsAtHand.Service.Tests.ApiBuilders;

namespace ExpertsAtHand.Service.Tests;

/// <summary>
/// Crypto-shredding: a child's details and every note about them are sealed in the events with the
/// child's key; erasure destroys the key, and every figure stays as it was.
/// </summary>
public sealed partial class ErasureAndRetentionTests
{
    private const string Reference = "QZ-4471";

    [Fact]
    public async Task The_event_log_and_read_models_never_hold_a_childs_details_in_plain_text_yet_the_people_on_the_case_read_them()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        var id = await SupportedChildAsync(app, "MARKER-ONE");

        // Only the stored answer to the raise (kept a day for a retry under its Idempotency-Key) holds it plainly.
        Assert.Equal(["idempotency_keys.body"], await PlainTextSweep.FindAsync(app.Database, "MARKER-ONE"));
        Assert.Equal(["idempotency_keys.body"], await PlainTextSweep.FindAsync(app.Database, Reference));
        Assert.True(await app.Database.ScalarAsync<long>("SELECT count(*) FROM mt_events WHERE data::text LIKE '%sealed:v1:%'") == 6); // raised, asked, answered, accepted, allocated, closed

        using var coordinator = app.As("coordinator");
        var view = (await coordinator.GetFromJsonAsync<JsonObject>($"/api/requests/{id}"))!;
        Assert.Equal(Reference, view["child"]!["reference"]!.GetValue<string>());
        Assert.Equal("MARKER-ONE needs", view["needsSummary"]!.GetValue<string>());
        var history = (await coordinator.GetStringAsync($"/api/requests/{id}/history"));
        Assert.Contains("MARKER-ONE rationale", history, StringComparison.Ordinal);
        var explanation = (await coordinator.GetFromJsonAsync<JsonObject>($"/api/allocations/{view["allocations"]![0]!["allocationId"]}/explanation"))!;
        Assert.Equal("MARKER-ONE override", explanation["overrideReason"]!.GetValue<string>());
        using var commissioner = app.As("commissioner");
        var seen = await commissioner.GetStringAsync($"/api/allocations/{view["allocations"]![0]!["allocationId"]}/explanation");
        Assert.DoesNotContain("MARKER-ONE", seen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Erasing_a_child_destroys_their_key_and_every_figure_live_rebuilt_and_as_of_stays_exactly_as_it_was()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        var first = await SupportedChildAsync(app, "MARKER-TWO");
        var second = await SupportedChildAsync(app, "MARKER-THREE"); // the same child again: a repeat, sharing the key
        await app.CatchUpProjectionsAsync();
        string[] reports =
        [
            "/api/reports/de-escalation?from=2026-09-01&to=2026-12-31",
            "/api/reports/timeliness?from=2026-09-01&to=2026-12-31",
            "/api/reports/coverage?from=2026-09-01&to=2026-12-31",
            "/api/reports/equity?from=2026-09-01&to=2026-12-31",
            "/api/reports/de-escalation?from=2026-09-01&to=2026-12-31&asOf=2026-10-05",
        ];
        using var coordinator = app.As("coordinator");
        var before = await ReadAllAsync(coordinator, reports);
        Assert.Contains("\"repeats\":1,", before[0], StringComparison.Ordinal); // the second request is a repeat of the first

        using var admin = app.As("administrator", subject: "dpo-1");
        var erased = await admin.PostAsJsonAsync($"/api/requests/{first}/erasure", new { grounds = "RightToErasure" });
        var done = (await erased.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(erased.StatusCode == HttpStatusCode.OK, done.ToJsonString());
        Assert.Equal(2, done["requests"]!.GetValue<int>());

        foreach (var id in new[] { first, second })
        {
            var view = (await coordinator.GetFromJsonAsync<JsonObject>($"/api/requests/{id}"))!;
            Assert.Equal(SealedText.Erased, view["child"]!["reference"]!.GetValue<string>());
            Assert.Equal(SealedText.Erased, view["needsSummary"]!.GetValue<string>());
            Assert.Equal("Closed", view["status"]!.GetValue<string>());
            var history = await coordinator.GetStringAsync($"/api/requests/{id}/history");
            Assert.DoesNotContain("MARKER", history, StringComparison.Ordinal);
            Assert.Contains("request-details-erased", history, StringComparison.Ordinal);
        }

        // Nothing left to read the details with, and nothing plain anywhere: the stored answers went with the key.
        Assert.Equal(0L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM detail_keys"));
        foreach (var marker in new[] { "MARKER-TWO", "MARKER-THREE", Reference })
        {
            Assert.Empty(await PlainTextSweep.FindAsync(app.Database, marker));
        }

        await app.CatchUpProjectionsAsync();
        AssertSame(before, await ReadAllAsync(coordinator, reports));
        foreach (var projection in MartenAndWolverineNames())
        {
            await app.RebuildAsync(projection);
        }

        AssertSame(before, await ReadAllAsync(coordinator, reports));
        var record = (await admin.GetFromJsonAsync<JsonObject>("/api/admin/retention"))!["done"]!.AsArray().Single()!;
        Assert.Equal("RightToErasure", record["grounds"]!.GetValue<string>());
        Assert.Equal("administrator:dpo-1", record["erasedBy"]!.GetValue<string>());
    }

    [Fact]
    public async Task Erasure_is_an_administrators_needs_grounds_waits_for_the_childs_open_requests_and_happens_once()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        var closed = await SupportedChildAsync(app, "MARKER-FOUR");
        using var senco = app.As("senco", urn: Urn);
        var open = await senco.PostAsJsonAsync("/api/requests", RaiseBody(level: "Individual", child: Child()));
        Assert.Equal(HttpStatusCode.Created, open.StatusCode);
        var openId = (await open.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
        using var admin = app.As("administrator");
        using var coordinator = app.As("coordinator");
        var events = await app.EventCountAsync();

        Assert.Equal(HttpStatusCode.Forbidden, (await coordinator.PostAsJsonAsync($"/api/requests/{closed}/erasure", new { grounds = "RightToErasure" })).StatusCode);
        var noGrounds = await admin.PostAsJsonAsync($"/api/requests/{closed}/erasure", new { });
        Assert.Equal(HttpStatusCode.BadRequest, noGrounds.StatusCode);
        Assert.True((await noGrounds.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject().ContainsKey("grounds"));
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync($"/api/requests/{closed}/erasure", new { grounds = "BecauseISaidSo" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsJsonAsync($"/api/requests/{Guid.NewGuid()}/erasure", new { grounds = "RightToErasure" })).StatusCode);
        var held = await admin.PostAsJsonAsync($"/api/requests/{closed}/erasure", new { grounds = "RightToErasure" });
        Assert.Equal(HttpStatusCode.Conflict, held.StatusCode);
        Assert.Contains("another request still open", await held.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(events, await app.EventCountAsync());
        Assert.Equal(1L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM detail_keys"));

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/requests/{openId}/withdrawal") { Content = JsonContent.Create(new { reason = "Moved school." }) };
        request.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"1\""));
        Assert.Equal(HttpStatusCode.OK, (await senco.SendAsync(request)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync($"/api/requests/{closed}/erasure", new { grounds = "RecordedInError" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync($"/api/requests/{openId}/erasure", new { grounds = "RecordedInError" })).StatusCode);
        var etag = (await coordinator.GetAsync($"/api/requests/{closed}")).Headers.ETag!.Tag;
        var reopen = await PostAsync(coordinator, $"/api/requests/{closed}/reopening", new { reason = "More needed." }, etag);
        Assert.Equal(HttpStatusCode.Conflict, reopen.StatusCode);
    }

    [Fact]
    public async Task Retention_erases_a_childs_details_on_the_areas_birthday_and_trims_the_access_log_keeping_its_chain_verifiable()
    {
        await using var app = await ServiceApp.StartAsync(arguments: [$"--Areas:{ServiceApp.Tenant}:Retention:ChildAge=25", "--Retention:AccessLogMonths=12"]);
        await SeedReferenceDataAsync(app);
        var id = await SupportedChildAsync(app, "MARKER-FIVE");
        using var admin = app.As("administrator");

        // Year 11 in 2026/27: fifteen on 31 August 2026, so born by 31 August 2011 at the latest; 25 on 31 August 2036.
        var due = (await admin.GetFromJsonAsync<JsonObject>("/api/admin/retention?days=3660"))!;
        Assert.Equal(25, due["childAge"]!.GetValue<int>());
        var entry = due["dueSoon"]!.AsArray().Single()!;
        Assert.Equal("2036-08-31", entry["eraseDueOn"]!.GetValue<string>());
        Assert.Equal(1, entry["requests"]!.GetValue<int>());
        Assert.Equal(0, entry["openRequests"]!.GetValue<int>());
        Assert.Empty((await admin.GetFromJsonAsync<JsonObject>("/api/admin/retention"))!["dueSoon"]!.AsArray());

        var sweep = app.Services.GetRequiredService<RetentionSweep>();
        Assert.Equal(new RetentionRun(0, 0, 0, 0), await sweep.RunAsync(CancellationToken.None));
        app.Clock.Set(new DateTimeOffset(2036, 9, 1, 6, 0, 0, TimeSpan.Zero));
        var run = await sweep.RunAsync(CancellationToken.None);
        Assert.Equal(1, run.KeysErased);
        Assert.Equal(1, run.RequestsErased);
        Assert.True(run.AccessLogEntriesRemoved > 0);

        using var coordinator = app.As("coordinator");
        Assert.Equal(SealedText.Erased, (await coordinator.GetFromJsonAsync<JsonObject>($"/api/requests/{id}"))!["needsSummary"]!.GetValue<string>());
        var record = (await admin.GetFromJsonAsync<JsonObject>("/api/admin/retention"))!["done"]!.AsArray().Single()!;
        Assert.Equal("RetentionEnded", record["grounds"]!.GetValue<string>());
        Assert.Equal(RetentionSweep.Actor, record["erasedBy"]!.GetValue<string>());

        // What is left of the log (and what is added after) still verifies from the last entry removed.
        var verified = await app.Services.GetRequiredService<AccessLogBook>().VerifyAsync(null, CancellationToken.None);
        Assert.Empty(verified.Broken);
        Assert.True(verified.Checked > 0);
        Assert.Equal(0L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM access_log WHERE at < '2035-09-01'"));
        await Assert.ThrowsAsync<PostgresException>(() => app.Database.ExecuteAsync("DELETE FROM access_log_trims"));
        Assert.Equal(new RetentionRun(0, 0, 0, 0), await sweep.RunAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Rotating_the_master_key_rewraps_every_childs_key_and_a_node_that_read_the_old_file_follows()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        var id = await SupportedChildAsync(app, "MARKER-SIX");
        var before = await File.ReadAllTextAsync(app.MasterKeyFile);

        // A second node's view of the keys, loaded before the rotation.
        var configuration = app.Services.GetRequiredService<IConfiguration>();
        var retention = app.Services.GetRequiredService<RetentionRules>();
        using var otherNode = new DetailKeys(app.Database.DataSource, configuration, retention, app.Clock);
        var keyId = await app.Database.ScalarAsync<Guid>("SELECT key_id FROM detail_keys");
        Assert.NotNull((await otherNode.RingAsync(ServiceApp.Tenant, [keyId], CancellationToken.None)).Find(keyId));

        Assert.Equal(1, await app.Services.GetRequiredService<DetailKeys>().RotateAsync(CancellationToken.None));
        var after = await File.ReadAllTextAsync(app.MasterKeyFile);
        Assert.NotEqual(before, after);
        Assert.StartsWith("2 ", after.Split('\n').Single(l => l.Length > 0 && !l.StartsWith('#')), StringComparison.Ordinal);
        Assert.Equal(2, await app.Database.ScalarAsync<int>("SELECT min(master_version) FROM detail_keys"));

        // A fresh node reads with the new master key; the old node takes the new version from the file when it meets it.
        using var freshNode = new DetailKeys(app.Database.DataSource, configuration, retention, app.Clock);
        Assert.NotNull((await freshNode.RingAsync(ServiceApp.Tenant, [keyId], CancellationToken.None)).Find(keyId));
        var newKey = await otherNode.ForNewRequestAsync(ServiceApp.Tenant, Urn, new ChildDetails("NEW-001", 4, SenStatus.SenSupport, true), new DateOnly(2026, 10, 5), CancellationToken.None);
        Assert.NotNull((await freshNode.RingAsync(ServiceApp.Tenant, [newKey.Id], CancellationToken.None)).Find(newKey.Id));
        using var coordinator = app.As("coordinator");
        Assert.Equal(Reference, (await coordinator.GetFromJsonAsync<JsonObject>($"/api/requests/{id}"))!["child"]!["reference"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_missing_master_key_file_over_a_database_holding_keys_stops_the_service_rather_than_make_a_new_one()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        await RaiseAsync(app);
        var elsewhere = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Protection:MasterKeyFile"] = app.MasterKeyFile + ".lost" }).Build();
        using var keys = new DetailKeys(app.Database.DataSource, elsewhere, app.Services.GetRequiredService<RetentionRules>(), app.Clock);
        var refused = await Assert.ThrowsAsync<MasterKeyException>(() => keys.RingAsync(ServiceApp.Tenant, [Guid.NewGuid()], CancellationToken.None));
        Assert.Contains("missing", refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(app.MasterKeyFile + ".lost"));
    }

    [Fact]
    public async Task Requests_recorded_before_sealing_are_sealed_in_place_once_and_read_as_before()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        // A request as an earlier version stored it: its details in the events as they were typed.
        var store = app.Services.GetRequiredService<Marten.IDocumentStore>();
        var id = Guid.CreateVersion7();
        var rules = app.Services.GetRequiredService<Features.Requests.RequestRulesCatalog>().For(ServiceApp.Tenant);
        var decision = RequestDecider.Decide(
            new RaiseRequest(id, Urn, RequestLevel.Individual, [Discipline.EducationalPsychology], [AreaOfNeed.CommunicationAndInteraction], "MARKER-SEVEN needs", "MARKER-SEVEN tried", new ChildDetails(Reference, 3, SenStatus.SenSupport, true), Priority.Routine, "senco:old", app.Clock.GetUtcNow()),
            RequestState.Initial,
            rules);
        await using (var session = store.OpenFor(ServiceApp.Tenant, "senco:old"))
        {
            session.AppendAfter(id, 0, decision.Events);
            await session.SaveChangesAsync();
        }

        Assert.Contains("mt_events.data", await PlainTextSweep.FindAsync(app.Database, "MARKER-SEVEN"));
        Assert.Equal(1, await RecordedBeforeSealing.SealAsync(app.Services, CancellationToken.None));
        Assert.Equal(0, await RecordedBeforeSealing.SealAsync(app.Services, CancellationToken.None));
        Assert.Empty(await PlainTextSweep.FindAsync(app.Database, "MARKER-SEVEN"));
        Assert.Equal(1L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM rm_requests WHERE details_key IS NOT NULL"));
        using var coordinator = app.As("coordinator");
        var view = (await coordinator.GetFromJsonAsync<JsonObject>($"/api/requests/{id}"))!;
        Assert.Equal("MARKER-SEVEN needs", view["needsSummary"]!.GetValue<string>());
        Assert.Equal(Reference, view["child"]!["reference"]!.GetValue<string>());
    }

    private static object Child() => new { reference = Reference, yearGroup = 11, senStatus = "SenSupport", parentalConsent = true };

    /// <summary>
    /// A child's request carried through every stage that takes free text (raise under an Idempotency-Key,
    /// a question and its answer, triage, an overridden allocation, a contact, closure), each text carrying the marker.
    /// </summary>
    private static async Task<Guid> SupportedChildAsync(ServiceApp app, string marker)
    {
        using var senco = app.As("senco", urn: Urn);
        using var coordinator = app.As("coordinator");
        using var practitioner = app.As("practitioner", practitioner: Ep);
        var body = RaiseBody(level: "Individual", child: Child());
        body["needsSummary"] = $"{marker} needs";
        body["actionTaken"] = $"{marker} tried";
        using var raise = new HttpRequestMessage(HttpMethod.Post, "/api/requests") { Content = JsonContent.Create(body) };
        raise.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        var raised = await senco.SendAsync(raise);
        Assert.Equal(HttpStatusCode.Created, raised.StatusCode);
        var id = (await raised.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
        var etag = raised.Headers.ETag!.Tag;
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/information-requests", new { question = $"{marker} question" }, etag), HttpStatusCode.OK);
        etag = await ExpectAsync(await PostAsync(senco, $"/api/requests/{id}/information", new { answer = $"{marker} answer" }, etag), HttpStatusCode.OK);
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/triage", new { decision = "Accept", rationale = $"{marker} rationale", supportType = "Consultation", disciplines = new[] { "EducationalPsychology" }, priority = "High" }, etag), HttpStatusCode.OK);
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/allocations", new { practitionerId = Ep, discipline = "EducationalPsychology", hours = 1.5, overrideReason = $"{marker} override" }, etag), HttpStatusCode.OK);
        etag = await ExpectAsync(await PostAsync(practitioner, $"/api/requests/{id}/contacts", new { date = "2026-10-05", durationMinutes = 60, mode = "InPerson", attended = new[] { "Senco" } }, etag), HttpStatusCode.OK);
        await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/closure", new { outcome = "NeedsMetInSetting", note = $"{marker} note" }, etag), HttpStatusCode.OK);
        return id;
    }

    private static IEnumerable<string> MartenAndWolverineNames() => Hosting.MartenAndWolverine.ReportProjectionNames;

    private static void AssertSame(List<string> before, List<string> after)
    {
        for (var i = 0; i < before.Count; i++)
        {
            // The erasure events move the log's position on; every figure stays.
            Assert.Equal(Position().Replace(before[i], string.Empty), Position().Replace(after[i], string.Empty));
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("\"lastEventPosition\":[0-9]+")]
    private static partial System.Text.RegularExpressions.Regex Position();

    private static async Task<List<string>> ReadAllAsync(HttpClient client, IEnumerable<string> paths)
    {
        var answers = new List<string>();
        foreach (var path in paths)
        {
            var response = await client.GetAsync(path);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {text}");
            answers.Add(text);
        }

        return answers;
    }
}

/// <summary>Looks for a text in every column of every table the service keeps: text, JSON, arrays and bytes alike.</summary>
public static class PlainTextSweep
{
    public static async Task<List<string>> FindAsync(TestDatabase database, string text)
    {
        var columns = new List<(string Table, string Column, string Type)>();
        await using (var command = database.DataSource.CreateCommand(
            "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name) "
            + "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY', 'bytea')"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                columns.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        var found = new List<string>();
        foreach (var (table, column, type) in columns)
        {
            var test = type == "bytea" ? $"position(convert_to($1, 'UTF8') in \"{column}\") > 0" : $"strpos(\"{column}\"::text, $1) > 0";
            await using var probe = database.DataSource.CreateCommand($"SELECT EXISTS (SELECT 1 FROM \"{table}\" WHERE {test})");
            probe.Parameters.Add(new NpgsqlParameter { Value = text });
            if ((bool)(await probe.ExecuteScalarAsync())!)
            {
                found.Add($"{table}.{column}");
            }
        }

        return found;
    }
}
