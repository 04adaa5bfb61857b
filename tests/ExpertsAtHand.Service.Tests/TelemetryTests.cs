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

        using var senco = app.As("senco", urn: Urn);
        var response = await senco.PostAsJsonAsync("/api/requests", RaiseBody(level: "Individual", child: new { reference = "Q7-3141", yearGroup = 3, senStatus = "SenSupport", parentalConsent = true }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        app.Services.GetRequiredService<TracerProvider>().ForceFlush();

        Assert.Contains(spans, s => s.Source.Name == "Microsoft.AspNetCore" && s.GetTagItem("http.route") as string == "/api/requests/");
        var command = Assert.Single(spans, s => s.Source.Name == Hosting.Telemetry.Name && s.DisplayName == "request RaiseRequest");
        Assert.Equal("done", command.GetTagItem("eah.command.outcome"));
        Assert.Contains(spans, s => s.Source.Name == "Npgsql" && s.TraceId == command.TraceId); // the command's SQL, in the request's trace
        Assert.DoesNotContain(spans.SelectMany(s => s.TagObjects), tag => tag.Value?.ToString()?.Contains("Q7-3141", StringComparison.Ordinal) == true);
    }
}
