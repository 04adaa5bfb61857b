using ExpertsAtHand.Infrastructure;
using ExpertsAtHand.Service.EventLog;
using Marten;

namespace ExpertsAtHand.Service.Features;

/// <summary>
/// Reference data (settings, practitioners) kept as one stream per natural key: read the stream,
/// let the domain decide what changed, append that (nothing when nothing changed).
/// </summary>
public static class ReferenceData
{
    /// <exception cref="StaleStreamException">The stream is not at <paramref name="expectedVersion"/>, or moved on before the save.</exception>
    public static async Task<IReadOnlyList<object>> RegisterAsync<TState>(
        IDocumentStore store,
        string tenant,
        string actor,
        string streamType,
        string key,
        TState initial,
        Func<TState, object, TState> evolve,
        Func<TState, IReadOnlyList<object>> decide,
        long? expectedVersion,
        CancellationToken cancellationToken)
    {
        await using var session = store.OpenFor(tenant, actor);
        var stream = StreamId.For(streamType, key);
        var (events, version) = await session.ReadStreamAsync(stream, cancellationToken).ConfigureAwait(false);
        if (expectedVersion is { } expected && expected != version)
        {
            throw new StaleStreamException(stream);
        }

        var decided = decide(events.Select(e => e.Data).Aggregate(initial, evolve));
        if (decided.Count == 0)
        {
            return decided;
        }

        session.AppendAfter(stream, version, decided);
        try
        {
            await session.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception conflict) when (AreaSessions.IsConflict(conflict))
        {
            throw new StaleStreamException(stream, conflict);
        }

        return decided;
    }
}
