using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ExpertsAtHand.Service.Hosting;

/// <summary>Our own trace source and meter, and OpenTelemetry's wiring on the host.</summary>
public static class Telemetry
{
    public const string Name = "ExpertsAtHand";

    public static readonly ActivitySource Source = new(Name);
    public static readonly Meter Meter = new(Name);

    /// <summary>
    /// OpenTelemetry through the host (OpenTelemetry.Extensions.Hosting): traces of ASP.NET Core
    /// requests, Npgsql's commands and our own spans; metrics of ASP.NET Core, Kestrel, Npgsql, the
    /// .NET runtime and our own meters. On when OTEL_EXPORTER_OTLP_ENDPOINT is set (exported over
    /// OTLP) or Telemetry:Enabled is true (for a listener the host adds, such as a test's).
    /// Spans and metrics carry routes, commands and outcomes, never a child's details.
    /// </summary>
    public static void Add(WebApplicationBuilder builder)
    {
        var endpoint = builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var export = !string.IsNullOrWhiteSpace(endpoint);
        if (!export && !builder.Configuration.GetValue("Telemetry:Enabled", false))
        {
            return;
        }

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(
                serviceName: builder.Configuration["OTEL_SERVICE_NAME"] ?? "experts-at-hand",
                serviceVersion: typeof(Telemetry).Assembly.GetName().Version?.ToString()))
            .WithTracing(tracing =>
            {
                tracing
                    .AddSource(Name)
                    .AddSource("Marten").AddSource("Wolverine")
                    .AddSource("Npgsql")
                    .AddAspNetCoreInstrumentation(options => options.RecordException = false); // exception messages may quote input
                if (export)
                {
                    tracing.AddOtlpExporter();
                }
            })
            .WithMetrics(metrics =>
            {
                metrics
                    .AddMeter(Name)
                    .AddMeter("Marten").AddMeter("Wolverine")
                    .AddMeter("Npgsql")
                    .AddAspNetCoreInstrumentation()
                    .AddMeter("Microsoft.AspNetCore.Server.Kestrel")
                    .AddRuntimeInstrumentation();
                if (export)
                {
                    metrics.AddOtlpExporter();
                }
            });
    }
}
