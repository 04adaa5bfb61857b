using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ExpertsAtHand.Service.Features.AccessLog;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static ExpertsAtHand.Service.Tests.ApiBuilders;

namespace ExpertsAtHand.Service.Tests;

/// <summary>Who viewed a child's record: every read and every refused attempt, append-only and hash-chained.</summary>
public sealed class AccessLogTests
{
    [Fact]
    public async Task Reading_a_request_as_three_roles_leaves_three_entries_and_every_refusal_is_recorded_too()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        var (id, etag) = await RaiseAsync(app);
        using var coordinator = app.As("coordinator", subject: "coord-1");
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/triage", Accept(), etag), HttpStatusCode.OK);
        await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/allocations", new { practitionerId = Ep, discipline = "EducationalPsychology" }, etag), HttpStatusCode.OK);
        using var senco = app.As("senco", urn: Urn, subject: "senco-1");
        using var practitioner = app.As("practitioner", practitioner: Ep, subject: "ep-user");
        using var otherSenco = app.As("senco", urn: OtherUrn, subject: "senco-2");
        using var commissioner = app.As("commissioner", subject: "comm-1");
        using var anonymous = app.Host.Server.CreateClient();

        foreach (var reader in new[] { coordinator, senco, practitioner })
        {
            Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync($"/api/requests/{id}")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await otherSenco.GetAsync($"/api/requests/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await commissioner.GetAsync($"/api/requests/{id}/history")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/requests/{id}")).StatusCode);

        var log = (await coordinator.GetFromJsonAsync<JsonArray>($"/api/requests/{id}/access-log"))!;
        var reads = log.Where(e => e!["operation"]!.GetValue<string>() == "GetRequest" && e["outcome"]!.GetValue<int>() == 200).ToList();
        Assert.Equal(["coordinator:coord-1", "practitioner:ep-user", "senco:senco-1"], reads.Select(e => $"{e!["role"]}:{e["subject"]}").Order());
        Assert.All(log, e => Assert.Matches("^[0-9a-f]{32}$", e!["traceId"]!.GetValue<string>()));
        Assert.Contains(log, e => e!["subject"]!.GetValue<string>() == "senco-2" && e["outcome"]!.GetValue<int>() == 404);
        Assert.Contains(log, e => e!["subject"]!.GetValue<string>() == "comm-1" && e["outcome"]!.GetValue<int>() == 403 && e["operation"]!.GetValue<string>() == "RequestHistory");
        // Without a token no area can be named: the attempt is kept in a chain of its own, out of any area's view.
        Assert.Equal(1L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM access_log WHERE tenant_id = '' AND outcome = 401 AND target_id = $1", id.ToString()));
    }

    [Fact]
    public async Task The_log_refuses_changes_and_verify_names_an_entry_someone_tampered_with_or_removed()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        var (id, _) = await RaiseAsync(app);
        using var coordinator = app.As("coordinator");
        for (var i = 0; i < 5; i++)
        {
            await coordinator.GetAsync($"/api/requests/{id}");
        }

        var book = app.Services.GetRequiredService<AccessLogBook>();
        var intact = await book.VerifyAsync(null, CancellationToken.None);
        Assert.Empty(intact.Broken);
        Assert.True(intact.Checked >= 6);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => app.Database.ExecuteAsync("UPDATE access_log SET subject = 'someone-else'"));
        Assert.Contains("append-only", refused.MessageText, StringComparison.Ordinal);
        await Assert.ThrowsAsync<PostgresException>(() => app.Database.ExecuteAsync("DELETE FROM access_log"));

        var ids = await app.Database.ScalarAsync<long[]>("SELECT array_agg(id ORDER BY id) FROM access_log WHERE tenant_id = $1", ServiceApp.Tenant);
        // Someone with the database's own password switches the guard off and covers their tracks.
        await app.Database.ExecuteAsync(
            "ALTER TABLE access_log DISABLE TRIGGER access_log_append_only; "
            + $"UPDATE access_log SET subject = 'someone-else' WHERE id = {ids[1]}; DELETE FROM access_log WHERE id = {ids[3]}; "
            + "ALTER TABLE access_log ENABLE TRIGGER access_log_append_only");

        var verified = await book.VerifyAsync(ServiceApp.Tenant, CancellationToken.None);
        Assert.Equal([ids[1], ids[4]], verified.Broken.Select(b => b.Id));
    }

    [Fact]
    public async Task An_administrator_reads_and_exports_their_areas_log_and_nobody_else_does()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        var (id, _) = await RaiseAsync(app);
        using var coordinator = app.As("coordinator", subject: "coord-9");
        await coordinator.GetAsync($"/api/requests/{id}/history");
        using var admin = app.As("administrator");

        var entries = (await admin.GetFromJsonAsync<JsonArray>($"/api/admin/access-log?subject=coord-9"))!;
        Assert.Equal("RequestHistory", Assert.Single(entries)!["operation"]!.GetValue<string>());
        var csv = await admin.GetAsync($"/api/admin/access-log?target={id}&format=csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", csv.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Contains($",coord-9,coordinator,RequestHistory,request,{id},200,", await csv.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Forbidden, (await coordinator.GetAsync("/api/admin/access-log")).StatusCode);
        using var otherAdmin = app.As("administrator", tenant: "another-area");
        Assert.Empty((await otherAdmin.GetFromJsonAsync<JsonArray>($"/api/admin/access-log?target={id}"))!);
        var badPeriod = await admin.GetAsync("/api/admin/access-log?from=2026-10-02&to=2026-10-01");
        Assert.Equal(HttpStatusCode.BadRequest, badPeriod.StatusCode);
    }
}
