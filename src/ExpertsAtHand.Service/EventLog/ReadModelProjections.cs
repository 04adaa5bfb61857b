using JasperFx.Events;
using Marten;
using Marten.Events.Projections;

namespace ExpertsAtHand.Service.EventLog;

/// <summary>A read model kept in the appending transaction: what people must read at once (request views, queues).</summary>
public interface IReadModelProjection
{
    void Project(IReadOnlyList<LoggedEvent> events, SqlBatch batch);
}

/// <summary>
/// A read model behind reports, kept by Marten's async daemon. It names the tables it writes, so an
/// as-of answer can shadow them and a rebuild can empty them, and the event types it reads, so the
/// daemon fetches only those.
/// </summary>
public interface IReportProjection
{
    string Name { get; }

    IReadOnlyList<string> Tables { get; }

    IReadOnlySet<Type> EventTypes { get; }

    void Apply(IReadOnlyList<LoggedEvent> events, SqlBatch batch);
}

/// <summary>Our inline read models as one Marten projection: their SQL joins the events' batch.</summary>
internal sealed class InlineReadModels(IReadOnlyList<IReadModelProjection> projections) : IProjection
{
    public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        var logged = events.Select(LoggedEvent.From).ToList();
        var batch = new SqlBatch();
        foreach (var projection in projections)
        {
            projection.Project(logged, batch);
        }

        batch.QueueInto(operations);
        return Task.CompletedTask;
    }
}

/// <summary>One report projection on Marten's async daemon: its SQL commits with the daemon's progress mark.</summary>
internal sealed class ReportProjectionOnDaemon(IReportProjection projection) : IProjection
{
    public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        // The daemon fetches only the projection's event types (IncludeType at registration).
        var batch = new SqlBatch();
        projection.Apply([.. events.Select(LoggedEvent.From)], batch);
        batch.QueueInto(operations);
        return Task.CompletedTask;
    }
}
