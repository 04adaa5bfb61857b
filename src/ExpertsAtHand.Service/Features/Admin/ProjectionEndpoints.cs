using ExpertsAtHand.Service.Hosting;
using JasperFx.Events.Daemon;
using ExpertsAtHand.Service.EventLog;
using Npgsql;

namespace ExpertsAtHand.Service.Features.Admin;

/// <summary>Where each report projection stands in the log (Marten's progression), how far it lags, and whether the node that answered (<paramref name="Node"/>: host/process) runs it.</summary>
public sealed record ProjectionStatus(string Name, long LastSequence, long HighWaterMark, DateTimeOffset? UpdatedAt, bool RunningHere, string Node)
{
    public long Lag => Math.Max(0, HighWaterMark - LastSequence);
}

public static class ProjectionEndpoints
{
    public static IEndpointRouteBuilder MapProjectionStatus(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/admin/projections", StatusAsync)
            .WithTags("Administration").RequireAuthorization("member")
            .WithName("ProjectionStatus").WithSummary("Each async projection's position in the event log and how far it lags.")
            .Produces<IReadOnlyList<ProjectionStatus>>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        return endpoints;
    }

    private static async Task<IResult> StatusAsync(HttpContext http, NpgsqlDataSource dataSource, IServiceProvider services, CancellationToken cancellationToken)
    {
        if (Caller.From(http.User) is not { } caller || !caller.Is(Roles.Administrator))
        {
            return Problems.Forbidden("Projection status is for administrators.");
        }

        // The daemon's agents on this node (none where Projections:RunDaemon is off, or another node holds the lock).
        var running = services.GetService<Marten.Events.Daemon.Coordination.IProjectionCoordinator>()?.DaemonForMainDatabase().CurrentAgents()
            .Select(a => a.Name.Name).ToHashSet(StringComparer.Ordinal) ?? [];
        var statuses = (await ProjectionProgress.ReadAsync(dataSource, MartenAndWolverine.ReportProjectionNames, cancellationToken).ConfigureAwait(false))
            .Select(p => new ProjectionStatus(p.Name, p.LastSequence, p.HighWaterMark, p.UpdatedAt, running.Contains(p.Name), MessageQueues.Node))
            .ToList();
        return TypedResults.Ok(statuses);
    }
}
