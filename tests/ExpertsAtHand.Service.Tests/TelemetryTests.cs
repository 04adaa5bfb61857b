using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using static ExpertsAtHand.Service.Tests.ApiBuilders;

namespace ExpertsAtHand.Service.Tests;

public sealed class TelemetryTests
{
    [Fact]
    public async Task A_request_is_traced_through_aspnet_core_our_command_and_npgsql_and_no_span_holds_a_childs_reference()
    {
        var spans = new List<Activity>();
        await using var app = await ServiceApp.StartAsync(
            configure: builder => builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)),
            arguments: ["--Telemetry:Enabled=true"]);
        await SeedReferenceDataAsync(app);

        // Listeners are process-wide and other tests run alongside: this request carries a trace of its own.
        var trace = ActivityTraceId.CreateRandom();
        using var senco = app.As("senco", urn: Urn);
        using var raise = new HttpRequestMessage(HttpMethod.Post, "/api/requests")
        {
            Content = JsonContent.Create(RaiseBody(level: "Individual", child: new { reference = "Q7-3141", yearGroup = 3, senStatus = "SenSupport", parentalConsent = true })),
        };
        raise.Headers.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01");
        Assert.Equal(HttpStatusCode.Created, (await senco.SendAsync(raise)).StatusCode);
        app.Services.GetRequiredService<TracerProvider>().ForceFlush();
        var ours = spans.Where(s => s.TraceId == trace).ToList();

        Assert.Contains(ours, s => s.Source.Name == "Microsoft.AspNetCore" && s.GetTagItem("http.route") as string == "/api/requests/");
        var command = Assert.Single(ours, s => s.Source.Name == Hosting.Telemetry.Name && s.DisplayName == "request RaiseRequest");
        Assert.Equal("done", command.GetTagItem("eah.command.outcome"));
        Assert.Contains(ours, s => s.Source.Name == "Npgsql"); // the command's SQL, in the request's trace
        Assert.DoesNotContain(ours.SelectMany(s => s.TagObjects), tag => tag.Value?.ToString()?.Contains("Q7-3141", StringComparison.Ordinal) == true);
    }
}
