using ExpertsAtHand.EventStore.Postgres;
using ExpertsAtHand.Service.Features.Health;
using Npgsql;

namespace ExpertsAtHand.Service.Hosting;

/// <summary>Builds the web application: one place, used by `serve` and by the tests' in-memory host.</summary>
public static class ServiceHost
{
    public static WebApplicationBuilder CreateBuilder(string[] args, string connectionString)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration["ConnectionStrings:Postgres"] = connectionString;

        builder.Logging.ClearProviders();
        if (string.Equals(builder.Configuration["Logging:Format"], "json", StringComparison.OrdinalIgnoreCase)
            || (builder.Configuration["Logging:Format"] is null && Console.IsOutputRedirected))
        {
            builder.Logging.AddJsonConsole(o => o.IncludeScopes = true);
        }
        else
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        }

        builder.Services.AddSingleton(_ => new NpgsqlDataSourceBuilder(connectionString) { Name = "experts-at-hand" }.Build());
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ProblemResponses>();
        builder.Services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Experts at Hand";
            document.Info.Description = "Triage and case management for a local area's Experts at Hand offer.";
            document.Info.Version = "v1";
            document.Servers?.Clear(); // the contract must not depend on the host that served it
            return Task.CompletedTask;
        }));
        return builder;
    }

    public static WebApplication Build(WebApplicationBuilder builder)
    {
        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi();
        app.MapHealth();
        Telemetry.Wire(app);
        return app;
    }

    /// <summary>Brings the schema up to date before the node takes traffic.</summary>
    public static async Task MigrateAsync(WebApplication app, CancellationToken cancellationToken)
    {
        var runner = new MigrationRunner(app.Services.GetRequiredService<NpgsqlDataSource>(), app.Services.GetRequiredService<ILogger<MigrationRunner>>());
        await runner.ApplyAsync(Schema.Migrations, cancellationToken).ConfigureAwait(false);
    }
}
