using JasperFx.Events;
using Marten;

namespace ExpertsAtHand.Service.EventLog;

/// <summary>
/// How every command reads and appends: one area's session, the person who acted as Marten's user
/// name and the trace as its correlation id (one place for "who did it", not a field on every event),
/// and the version read as the expected version of the append.
/// </summary>
public static class AreaSessions
{
    public static IDocumentSession OpenFor(this IDocumentStore store, string tenant, string? actor)
    {
        var session = store.LightweightSession(tenant);
        session.CorrelationId = System.Diagnostics.Activity.Current?.TraceId.ToString();
        session.LastModifiedBy = actor;
        return session;
    }

    /// <summary>The stream's events and its version (0: it does not exist yet).</summary>
    public static async Task<(IReadOnlyList<IEvent> Events, long Version)> ReadStreamAsync(this IDocumentSession session, Guid stream, CancellationToken cancellationToken)
    {
        var events = await session.Events.FetchStreamAsync(stream, token: cancellationToken).ConfigureAwait(false);
        return (events, events.Count == 0 ? 0 : events[^1].Version);
    }

    /// <summary>
    /// Appends after the version read: a new stream when it was 0, otherwise on the condition that
    /// nobody appended since (Marten takes the version the stream reaches with these events).
    /// </summary>
    public static StreamAction AppendAfter(this IDocumentSession session, Guid stream, long versionRead, IReadOnlyList<object> events) =>
        Stamped(
            session,
            versionRead == 0
                ? session.Events.StartStream(stream, [.. events])
                : session.Events.Append(stream, versionRead + events.Count, [.. events]));

    /// <summary>Appends whatever the stream's version (for what only ever adds to a stream, such as an absence).</summary>
    public static StreamAction AppendAnyway(this IDocumentSession session, Guid stream, object @event) =>
        Stamped(session, session.Events.Append(stream, @event));

    /// <summary>
    /// Each event recorded at the moment our clock says (Marten's event clock: the service's, or a
    /// story's while the demo is written), not the database server's: time rules and as-of answers
    /// run on the same clock as the decisions.
    /// </summary>
    private static StreamAction Stamped(IDocumentSession session, StreamAction action)
    {
        var now = ((StoreOptions)session.DocumentStore.Options).Events.TimeProvider.GetUtcNow();
        foreach (var e in action.Events)
        {
            e.Timestamp = now;
        }

        return action;
    }

    /// <summary>Someone else appended to the stream (or started it) between our read and our save.</summary>
    public static bool IsConflict(Exception exception) =>
        exception is JasperFx.ConcurrencyException or Marten.Exceptions.ExistingStreamIdCollisionException;
}

/// <summary>The stream was not at the version the caller read (an If-Match that no longer holds, or a racing append).</summary>
public sealed class StaleStreamException(Guid stream, Exception? inner = null)
    : Exception($"Stream {stream} was changed by someone else.", inner)
{
    public Guid Stream { get; } = stream;
}
