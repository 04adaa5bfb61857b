using Npgsql;

namespace ExpertsAtHand.EventStore;

/// <summary>
/// Commands queued by projections and transaction participants, sent to PostgreSQL together with
/// the event inserts in one round trip.
/// </summary>
public sealed class CommandBatch
{
    internal NpgsqlBatch Batch { get; } = new();

    public int Count => Batch.BatchCommands.Count;

    /// <summary>
    /// Queues <paramref name="sql"/> with positional parameters $1, $2, … bound to <paramref name="parameters"/>.
    /// Instants are sent as UTC: timestamptz stores instants and Npgsql refuses other offsets, so no
    /// projection has to remember to convert one taken from an event.
    /// </summary>
    public NpgsqlBatchCommand Add(string sql, params object?[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter switch
            {
                NpgsqlParameter given => given,
                DateTimeOffset instant => new NpgsqlParameter { Value = instant.ToUniversalTime() },
                null => new NpgsqlParameter { Value = DBNull.Value },
                _ => new NpgsqlParameter { Value = parameter },
            });
        }

        Batch.BatchCommands.Add(command);
        return command;
    }
}

/// <summary>Updates read models inside the appending transaction.</summary>
public interface IInlineProjection
{
    void Project(IReadOnlyList<UncommittedEvent> events, CommandBatch batch);
}

/// <summary>Something else that must commit with the events, such as outbox messages.</summary>
public interface ITransactionParticipant
{
    /// <summary>Queue this participant's writes; they execute in the same batch and transaction as the events.</summary>
    ValueTask BeforeCommitAsync(EventSession session, CommandBatch batch, CancellationToken cancellationToken);

    /// <summary>Runs once the transaction has committed (for example, to wake local workers).</summary>
    ValueTask AfterCommitAsync(CancellationToken cancellationToken);
}

/// <summary>What an async projection writes with: its queued commands commit with its checkpoint.</summary>
public sealed class ProjectionContext(NpgsqlConnection connection, NpgsqlTransaction transaction, CommandBatch batch)
{
    public NpgsqlConnection Connection { get; } = connection;
    public NpgsqlTransaction Transaction { get; } = transaction;
    public CommandBatch Batch { get; } = batch;
}

/// <summary>
/// The parts of an event's envelope an async projection reads beyond its position, tenant, stream,
/// version, type, data and recorded time. The daemon sends only what the projection asks for, because
/// every column costs the server work for every event a rebuild replays. A part not asked for arrives
/// empty: <see cref="StoredEvent.StreamType"/> as "", <see cref="StoredEvent.Metadata"/> as <see cref="EventMetadata.None"/>.
/// </summary>
[Flags]
public enum EnvelopeParts
{
    None = 0,
    StreamType = 1,
    Metadata = 2,
    All = StreamType | Metadata,
}

/// <summary>A read model built behind the log by the <see cref="ProjectionDaemon"/>.</summary>
public interface IAsyncProjection
{
    /// <summary>Stable name: the checkpoint and the single-node lock are keyed on it.</summary>
    string Name { get; }

    /// <summary>The event types this projection reads; others are skipped without being deserialised.</summary>
    IReadOnlySet<Type> EventTypes { get; }

    /// <summary>The envelope parts this projection reads: all of them unless it says otherwise.</summary>
    EnvelopeParts Envelope => EnvelopeParts.All;

    ValueTask ApplyAsync(IReadOnlyList<StoredEvent> events, ProjectionContext context, CancellationToken cancellationToken);

    /// <summary>Empties the read model before a rebuild replays the log into it.</summary>
    ValueTask ResetAsync(ProjectionContext context, CancellationToken cancellationToken);
}
