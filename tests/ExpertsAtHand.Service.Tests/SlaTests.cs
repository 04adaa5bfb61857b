using Microsoft.Extensions.DependencyInjection;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.Features.Requests;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static ExpertsAtHand.Service.Tests.ApiBuilders;

namespace ExpertsAtHand.Service.Tests;

public sealed class SlaTests
{
    private static readonly TimeSpan Bst = TimeSpan.FromHours(1);

    [Fact]
    public async Task Triage_at_risk_and_breach_fire_on_working_days_across_a_bank_holiday_weekend_and_email_the_coordinators()
    {
        // Thursday 27 August 2026; Monday 31st is the summer bank holiday. Five working days: due Friday 4 September.
        await using var app = await ServiceApp.StartAsync(new DateTimeOffset(2026, 8, 27, 9, 0, 0, Bst));
        await SeedReferenceDataAsync(app);
        var (id, _) = await RaiseAsync(app);
        using var coordinator = app.As("coordinator");
        var view = (await coordinator.GetFromJsonAsync<JsonObject>($"/api/requests/{id}"))!;
        Assert.Equal("2026-09-04", view["sla"]!["triageDueBy"]!.GetValue<string>());

        app.Clock.Set(new DateTimeOffset(2026, 9, 2, 23, 59, 0, Bst));
        Assert.Equal(0, await app.DeliverDueMessagesAsync()); // at risk from the 4th working day (Thursday 3rd), not before

        app.Clock.Set(new DateTimeOffset(2026, 9, 3, 0, 5, 0, Bst));
        Assert.Equal(2, await app.DeliverDueMessagesAsync()); // the check, then the e-mail it queued
        var atRisk = Assert.Single(app.Notify.Sent);
        Assert.Equal("triage-coordinators@example.gov.uk", atRisk.EmailAddress);
        Assert.Equal("4 September 2026", atRisk.Personalisation["due_by"]);
        Assert.Equal("time to triage", atRisk.Personalisation["clock"]);
        Assert.Equal(view["reference"]!.GetValue<string>(), atRisk.Personalisation["request_reference"]); // which request, in words a coordinator can search
        Assert.True((await coordinator.GetFromJsonAsync<JsonObject>($"/api/requests/{id}"))!["sla"]!["atRisk"]!.GetValue<bool>());

        app.Clock.Set(new DateTimeOffset(2026, 9, 4, 18, 0, 0, Bst));
        Assert.Equal(0, await app.DeliverDueMessagesAsync()); // still within the standard on its last day

        app.Clock.Set(new DateTimeOffset(2026, 9, 5, 0, 5, 0, Bst));
        Assert.Equal(2, await app.DeliverDueMessagesAsync());
        Assert.Equal(2, app.Notify.Sent.Count);
        var history = (await coordinator.GetFromJsonAsync<JsonArray>($"/api/requests/{id}/history"))!;
        Assert.Equal(["request-raised", "sla-at-risk", "sla-breached"], history.Select(h => h!["event"]!.GetValue<string>()));
        Assert.All(app.Notify.Sent, sent => Assert.DoesNotContain(sent.Personalisation.Values, v => v.Contains("pupils", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task While_the_setting_is_asked_for_information_the_clock_stands_still_and_no_breach_is_recorded()
    {
        await using var app = await ServiceApp.StartAsync(new DateTimeOffset(2026, 10, 5, 9, 0, 0, Bst)); // Monday, due Monday 12th
        await SeedReferenceDataAsync(app);
        var (id, etag) = await RaiseAsync(app);
        using var coordinator = app.As("coordinator");
        using var senco = app.As("senco", urn: Urn);

        app.Clock.Set(new DateTimeOffset(2026, 10, 6, 10, 0, 0, Bst));
        etag = await ExpectAsync(await PostAsync(coordinator, $"/api/requests/{id}/information-requests", new { question = "Please share the current SEN support plan." }, etag), HttpStatusCode.OK);

        app.Clock.Set(new DateTimeOffset(2026, 10, 14, 10, 0, 0, Bst)); // past the original deadline
        await app.DeliverDueMessagesAsync();
        Assert.Empty(app.Notify.Sent);

        var answered = await PostAsync(senco, $"/api/requests/{id}/information", new { answer = "Plan shared through the secure portal." }, etag);
        await ExpectAsync(answered, HttpStatusCode.OK);
        Assert.Equal("2026-10-20", (await answered.Content.ReadFromJsonAsync<JsonObject>())!["sla"]!["triageDueBy"]!.GetValue<string>());

        app.Clock.Set(new DateTimeOffset(2026, 10, 20, 18, 0, 0, Bst));
        await app.DeliverDueMessagesAsync();
        Assert.Single(app.Notify.Sent); // at risk on the new schedule, but not breached

        app.Clock.Set(new DateTimeOffset(2026, 10, 21, 0, 5, 0, Bst));
        await app.DeliverDueMessagesAsync();
        Assert.Equal(2, app.Notify.Sent.Count);
    }

    [Fact]
    public async Task A_coordinators_alert_delivered_twice_is_emailed_once()
    {
        await using var app = await ServiceApp.StartAsync();
        var alert = new NotifyCoordinators(Guid.NewGuid(), SlaClock.Triage, SlaCheckKind.AtRisk, new DateOnly(2026, 10, 9), "TESTAR-2026-00001");
        var envelope = new Wolverine.Envelope(alert) { TenantId = ServiceApp.Tenant }; // the same message, as Wolverine redelivers it after a crash
        var sender = app.Services.GetRequiredService<ExpertsAtHand.Infrastructure.Notifications.NotifyEmailSender>();
        var alerts = app.Services.GetRequiredService<CoordinatorAlerts>();

        await NotifyCoordinatorsHandler.Handle(alert, envelope, sender, alerts, CancellationToken.None);
        await NotifyCoordinatorsHandler.Handle(alert, envelope, sender, alerts, CancellationToken.None);

        var sent = Assert.Single(app.Notify.Sent);
        Assert.Equal(envelope.Id.ToString(), sent.Reference);
    }

    [Fact]
    public async Task An_email_notify_refuses_ends_in_dead_letters_which_an_administrator_of_that_area_alone_replays_or_discards()
    {
        await using var app = await ServiceApp.StartAsync();
        app.Notify.FailWith = HttpStatusCode.BadRequest; // Notify refuses: sending again cannot help
        using (var scope = app.Services.CreateScope())
        {
            var bus = scope.ServiceProvider.GetRequiredService<Wolverine.IMessageBus>();
            foreach (var area in new[] { ServiceApp.Tenant, "another-area" })
            {
                await bus.PublishAsync(new NotifyCoordinators(Guid.NewGuid(), SlaClock.Triage, SlaCheckKind.Breach, new DateOnly(2026, 10, 9), "TESTAR-2026-00001"), new Wolverine.DeliveryOptions { TenantId = area });
            }
        }

        for (var i = 0; i < 300 && await app.Database.ScalarAsync<long>("SELECT count(*) FROM wolverine_dead_letters") < 2; i++)
        {
            await Task.Delay(100);
        }

        using var administrator = app.As("administrator");
        using var coordinator = app.As("coordinator");
        var listed = (await administrator.GetFromJsonAsync<JsonArray>("/api/admin/dead-letters"))!;
        var mine = Assert.Single(listed)!["id"]!.GetValue<Guid>();
        Assert.Contains("Notify rejected the search by reference (400)", listed[0]!["error"]!.GetValue<string>(), StringComparison.Ordinal); // it asks first whether the e-mail went
        var theirs = await app.Database.ScalarAsync<Guid>($"SELECT id FROM wolverine_dead_letters WHERE id <> '{mine}'");
        // Kept for Retention:DeadLetterDays (30), then Wolverine's own expiry removes them.
        Assert.Equal(30, await app.Database.ScalarAsync<int>("SELECT round(extract(epoch FROM min(expires) - now()) / 86400)::int FROM wolverine_dead_letters"));
        Assert.Equal(0L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM wolverine_dead_letters WHERE expires IS NULL"));
        Assert.Equal(HttpStatusCode.Forbidden, (await coordinator.GetAsync("/api/admin/dead-letters")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await administrator.PostAsync($"/api/admin/dead-letters/{theirs}/replay", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await administrator.DeleteAsync($"/api/admin/dead-letters/{theirs}")).StatusCode);

        Assert.Equal(HttpStatusCode.Accepted, (await administrator.PostAsync($"/api/admin/dead-letters/{mine}/replay", null)).StatusCode);
        Assert.True(await app.Database.ScalarAsync<bool>($"SELECT replayable FROM wolverine_dead_letters WHERE id = '{mine}'")); // Wolverine's agent puts it back in its queue
        Assert.Equal(HttpStatusCode.NoContent, (await administrator.DeleteAsync($"/api/admin/dead-letters/{mine}")).StatusCode);
        Assert.Equal([theirs], await app.Database.ScalarAsync<Guid[]>("SELECT array_agg(id) FROM wolverine_dead_letters"));
    }
}
