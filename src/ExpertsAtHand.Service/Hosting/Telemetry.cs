using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ExpertsAtHand.Service.Hosting;

/// <summary>Our own trace source and meter, and the OTLP export wiring.</summary>
public static class Telemetry
{
    public const string Name = "ExpertsAtHand";

    public static readonly ActivitySource Source = new(Name);
    public static readonly Meter Meter = new(Name);

    /// <summary>
    /// OpenTelemetry.Extensions.Hosting cannot be restored here, so the providers are built by hand
    /// and tied to the host's lifetime: disposing them on shutdown flushes what is buffered.
    /// Nothing is exported unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
    /// </summary>
    public static void Wire(WebApplication app)
    {
        var endpoint = app.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            return;
        }

        var resource = ResourceBuilder.CreateDefault().AddService(
            serviceName: app.Configuration["OTEL_SERVICE_NAME"] ?? "experts-at-hand",
            serviceVersion: typeof(Telemetry).Assembly.GetName().Version?.ToString());

        var tracing = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSource(Name)
            .AddSource(Messaging.MessagingTelemetry.Name)
            .AddSource("Npgsql")
            .AddAspNetCoreInstrumentation()
            .AddOtlpExporter()
            .Build();
        var metrics = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddMeter(Name)
            .AddMeter(Messaging.MessagingTelemetry.Name)
            .AddMeter("Npgsql")
            .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime")
            .AddOtlpExporter()
            .Build();

        app.Lifetime.ApplicationStopped.Register(() =>
        {
            tracing.Dispose();
            metrics.Dispose();
        });
    }
}
