using ExpertsAtHand.EventStore.Postgres;
using Npgsql;

namespace ExpertsAtHand.EventStore;

public sealed class EventStoreOptions
{
    public TypeRegistry Types { get; init; } = new();

    /// <summary>Run inside every appending transaction (read-your-writes for queues and status pages).</summary>
    public IList<IInlineProjection> InlineProjections { get; } = [];

    /// <summary>The clock that stamps recorded time; tests pass a fake one.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}

/// <summary>
/// The entry point, shaped like Marten's document store: long-lived, thread-safe, and the factory
/// for short-lived sessions, each scoped to one tenant (local area).
/// </summary>
public sealed class EventStore(NpgsqlDataSource dataSource, EventStoreOptions options)
{
    public static IReadOnlyList<Migration> Migrations { get; } = Migration.FromAssembly(typeof(EventStore).Assembly, "eventstore");

    public NpgsqlDataSource DataSource { get; } = dataSource;
    public EventStoreOptions Options { get; } = options;
    public TypeRegistry Types => Options.Types;

    /// <summary>
    /// The same store recording time by another clock: for writing a history as it happened (the demo
    /// area's term), where each event must carry the moment it stands for.
    /// </summary>
    public EventStore WithClock(TimeProvider clock)
    {
        var options = new EventStoreOptions { Types = Options.Types, Clock = clock };
        foreach (var projection in Options.InlineProjections)
        {
            options.InlineProjections.Add(projection);
        }

        return new EventStore(DataSource, options);
    }

    public EventSession OpenSession(string tenantId, EventMetadata? metadata = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenantId);
        return new EventSession(this, tenantId, metadata ?? EventMetadata.None);
    }

    /// <summary>The global position of the newest committed event (0 when the log is empty).</summary>
    public async Task<long> HighWaterMarkAsync(CancellationToken cancellationToken = default)
    {
        await using var command = DataSource.CreateCommand("SELECT coalesce(max(seq), 0) FROM eah_events");
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }
}
