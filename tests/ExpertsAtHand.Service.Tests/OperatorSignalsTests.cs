using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.Features.Requests;
using ExpertsAtHand.Service.Hosting;
using Microsoft.Extensions.DependencyInjection;
using static ExpertsAtHand.Service.Tests.ApiBuilders;

namespace ExpertsAtHand.Service.Tests;

/// <summary>What an operator sees before users notice: the area's queue, and readiness warnings.</summary>
public sealed class OperatorSignalsTests
{
    [Fact]
    public async Task An_administrator_sees_their_areas_queue_and_readiness_warns_of_messages_that_failed_for_good()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        await RaiseAsync(app); // its triage clock's checks are scheduled
        using var administrator = app.As("administrator");
        using var elsewhere = app.As("administrator", tenant: "another-area");

        var queue = (await administrator.GetFromJsonAsync<JsonObject>("/api/admin/queues"))!;
        Assert.Equal(2, queue["scheduled"]!.GetValue<int>()); // at risk and breach
        Assert.Equal(0, queue["deadLettersLastHour"]!.GetValue<int>());
        Assert.Null(queue["oldestDueSeconds"]); // nothing due yet by the service's clock
        Assert.False(string.IsNullOrEmpty(queue["node"]!.GetValue<string>()));
        Assert.Equal(0, (await elsewhere.GetFromJsonAsync<JsonObject>("/api/admin/queues"))!["scheduled"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.Forbidden, (await app.As("coordinator").GetAsync("/api/admin/queues")).StatusCode);

        var signals = app.Services.GetRequiredService<NodeSignals>();
        await signals.SampleAsync(CancellationToken.None);
        Assert.Empty((await app.Client.GetFromJsonAsync<JsonObject>("/health/ready"))!["warnings"]!.AsArray());

        app.Notify.FailWith = HttpStatusCode.BadRequest;
        using (var scope = app.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<Wolverine.IMessageBus>().PublishAsync(
                new NotifyCoordinators(Guid.NewGuid(), SlaClock.Triage, SlaCheckKind.Breach, new DateOnly(2026, 10, 9), null), new Wolverine.DeliveryOptions { TenantId = ServiceApp.Tenant });
        }

        for (var i = 0; i < 300 && await app.Database.ScalarAsync<long>("SELECT count(*) FROM wolverine_dead_letters") == 0; i++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(1, (await administrator.GetFromJsonAsync<JsonObject>("/api/admin/queues"))!["deadLettersLastHour"]!.GetValue<int>());
        await signals.SampleAsync(CancellationToken.None);
        var ready = await app.Client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode); // still serving: a warning, not an outage
        var warning = Assert.Single((await ready.Content.ReadFromJsonAsync<JsonObject>())!["warnings"]!.AsArray())!.GetValue<string>();
        Assert.Contains("failed for good in the last hour", warning, StringComparison.Ordinal);
    }
}
