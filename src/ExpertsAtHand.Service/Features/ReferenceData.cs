using ExpertsAtHand.EventStore;

namespace ExpertsAtHand.Service.Features;

/// <summary>
/// Reference data (settings, practitioners) kept as one stream per natural key: read the stream,
/// let the domain decide what changed, append that (nothing when nothing changed).
/// </summary>
public static class ReferenceData
{
    public static async Task<IReadOnlyList<object>> RegisterAsync<TState>(
        EventStore.EventStore store,
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
        await using var session = store.OpenSession(tenant, new EventMetadata(null, null, actor));
        var stream = StreamId.For(streamType, key);
        var current = await session.AggregateStreamAsync(stream, initial, evolve, cancellationToken).ConfigureAwait(false);
        if (expectedVersion is { } version && version != current.Version)
        {
            throw new StreamVersionConflictException(stream, version);
        }

        var events = decide(current.State);
        session.Append(streamType, stream, current.Version, [.. events]);
        await session.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return events;
    }
}
