using ExpertsAtHand.Infrastructure.Postgres;
using ExpertsAtHand.Service.Hosting;
using Npgsql;

namespace ExpertsAtHand.Service.Features.Health;

/// <param name="Warnings">Signs past their alert thresholds (ops/alerts.md): the node still serves, but an operator should look.</param>
public sealed record HealthReport(string Status, IReadOnlyList<string> PendingMigrations, IReadOnlyList<string>? Warnings = null);

/// <summary>
/// Live: the process answers. Ready: the database answers and every migration is applied, so a
/// load balancer only sends traffic to a node that can serve it. While the embedded database is
/// being brought back after stopping by itself, readiness says so with PostgreSQL's own words.
/// </summary>
public static partial class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder endpoints)
    {
        var health = endpoints.MapGroup("/health").WithTags("Health").ProducesValidationProblem().DisableRateLimiting();
        health.MapGet("/live", () => TypedResults.Ok(new HealthReport("live", [])))
            .WithName("Live")
            .WithSummary("The process is running.")
            .Produces<HealthReport>();
        health.MapGet("/ready", ReadyAsync)
            .WithName("Ready")
            .WithSummary("The database is reachable and every schema migration is applied; warnings list any early sign past its alert threshold (projection lag, waiting messages, dead letters, disk space).")
            .Produces<HealthReport>()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return endpoints;
    }

    private static async Task<IResult> ReadyAsync(NpgsqlDataSource dataSource, IServiceProvider services, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (services.GetRequiredService<StartupState>().Preparing is { } preparing)
        {
            return TypedResults.Problem(title: "Not ready", detail: preparing, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        if (services.GetService<DatabaseLease>()?.EmbeddedHealth is { IsRunning: false } embedded)
        {
            return TypedResults.Problem(
                title: "Not ready",
                detail: $"The embedded database stopped by itself and is being restarted. {embedded.Problem}",
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        try
        {
            var pending = await new MigrationRunner(dataSource).PendingAsync(Schema.Migrations, cancellationToken).ConfigureAwait(false);
            return pending.Count == 0
                ? TypedResults.Ok(new HealthReport("ready", [], services.GetRequiredService<NodeSignals>().Warnings()))
                : TypedResults.Problem(
                    title: "Not ready",
                    detail: $"{pending.Count} schema migration(s) not yet applied.",
                    statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        catch (NpgsqlException ex)
        {
            LogUnreachable(loggers.CreateLogger(typeof(HealthEndpoints)), ex);
            return TypedResults.Problem(title: "Not ready", detail: "The database is not reachable.", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Readiness check could not reach the database")]
    private static partial void LogUnreachable(ILogger logger, Exception exception);
}
