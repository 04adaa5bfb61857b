using ExpertsAtHand.EventStore.Postgres;
using ExpertsAtHand.Service.Hosting;
using Npgsql;

namespace ExpertsAtHand.Service.Features.Health;

public sealed record HealthReport(string Status, IReadOnlyList<string> PendingMigrations);

/// <summary>
/// Live: the process answers. Ready: the database answers and every migration is applied, so a
/// load balancer only sends traffic to a node that can serve it.
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
            .WithSummary("The database is reachable and every schema migration is applied.")
            .Produces<HealthReport>()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return endpoints;
    }

    private static async Task<IResult> ReadyAsync(NpgsqlDataSource dataSource, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        try
        {
            var pending = await new MigrationRunner(dataSource).PendingAsync(Schema.Migrations, cancellationToken).ConfigureAwait(false);
            return pending.Count == 0
                ? TypedResults.Ok(new HealthReport("ready", []))
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
