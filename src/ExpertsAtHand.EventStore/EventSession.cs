using Npgsql;
using NpgsqlTypes;

namespace ExpertsAtHand.EventStore;

/// <summary>The streams appended by one <see cref="EventSession.SaveChangesAsync"/>.</summary>
public sealed record AppendResult(IReadOnlyDictionary<Guid, long> StreamVersions, long LastSequence);

/// <summary>
/// A unit of work for one tenant: reads streams, collects appends, then writes the events, the
/// inline projections and every enlisted participant in one transaction.
/// </summary>
public sealed class EventSession : IAsyncDisposable
{
    private const string ReadColumns = "seq, version, stream_type, event_type, data, correlation_id, causation_id, actor, recorded_at";

    private readonly EventStore _store;
    private readonly List<PendingAppend> _pending = [];
    private readonly List<ITransactionParticipant> _participants = [];
    private NpgsqlConnection? _connection;
    private NpgsqlTransaction? _transaction;
    private bool _saved;

    internal EventSession(EventStore store, string tenantId, EventMetadata metadata)
    {
        _store = store;
        TenantId = tenantId;
        Metadata = metadata;
    }

    public string TenantId { get; }
    public EventMetadata Metadata { get; }
    public EventStore Store => _store;

    /// <summary>The session's transaction, opened on first use; participants may run their own commands in it.</summary>
    public async ValueTask<NpgsqlTransaction> TransactionAsync(CancellationToken cancellationToken = default)
    {
        if (_transaction is not null)
        {
            return _transaction;
        }

        var connection = await ConnectionAsync(cancellationToken).ConfigureAwait(false);
        _transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        return _transaction;
    }

    /// <summary>
    /// One connection for the session's reads and its save: a command costs one trip through the
    /// pool, not one per statement.
    /// </summary>
    private async ValueTask<NpgsqlConnection> ConnectionAsync(CancellationToken cancellationToken) =>
        _connection ??= await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Reads outside any transaction unless one was opened: optimistic concurrency, not a lock,
    /// protects the append that follows a read.
    /// </summary>
    public async Task<IReadOnlyList<StoredEvent>> ReadStreamAsync(Guid streamId, long fromVersion = 1, CancellationToken cancellationToken = default)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT {ReadColumns} FROM eah_events WHERE tenant_id = $1 AND stream_id = $2 AND version >= $3 ORDER BY version",
            await ConnectionAsync(cancellationToken).ConfigureAwait(false),
            _transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = TenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = streamId });
        command.Parameters.Add(new NpgsqlParameter { Value = fromVersion });
        var events = new List<StoredEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var eventType = reader.GetString(3);
            events.Add(new StoredEvent(
                reader.GetInt64(0),
                TenantId,
                streamId,
                reader.GetInt64(1),
                reader.GetString(2),
                eventType,
                _store.Types.Deserialize(eventType, reader.GetString(4)),
                new EventMetadata(
                    reader.IsDBNull(5) ? null : reader.GetString(5),
                    reader.IsDBNull(6) ? null : reader.GetString(6),
                    reader.IsDBNull(7) ? null : reader.GetString(7)),
                reader.GetFieldValue<DateTimeOffset>(8)));
        }

        return events;
    }

    /// <summary>Folds the stream with the domain's Evolve; version 0 means the stream does not exist yet.</summary>
    public async Task<StreamState<TState>> AggregateStreamAsync<TState>(Guid streamId, TState initial, Func<TState, object, TState> evolve, CancellationToken cancellationToken = default)
    {
        var events = await ReadStreamAsync(streamId, 1, cancellationToken).ConfigureAwait(false);
        var state = initial;
        foreach (var stored in events)
        {
            state = evolve(state, stored.Data);
        }

        return new StreamState<TState>(state, events.Count == 0 ? 0 : events[^1].Version);
    }

    /// <summary>Starts a new stream; fails with a conflict if it already exists.</summary>
    public void StartStream(string streamType, Guid streamId, params object[] events) => Append(streamType, streamId, 0, events);

    /// <summary>Appends after <paramref name="expectedVersion"/> (the version read); a conflict if the stream moved on.</summary>
    public void Append(string streamType, Guid streamId, long expectedVersion, params object[] events)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(streamType);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedVersion);
        if (events.Length == 0)
        {
            return;
        }

        var existing = _pending.FindIndex(p => p.StreamId == streamId);
        if (existing >= 0)
        {
            var earlier = _pending[existing];
            if (earlier.ExpectedVersion + earlier.Events.Count != expectedVersion)
            {
                throw new StreamVersionConflictException(streamId, expectedVersion);
            }

            _pending[existing] = earlier with { Events = [.. earlier.Events, .. events] };
            return;
        }

        _pending.Add(new PendingAppend(streamType, streamId, expectedVersion, [.. events]));
    }

    public void Enlist(ITransactionParticipant participant)
    {
        if (!_participants.Contains(participant))
        {
            _participants.Add(participant);
        }
    }

    public async Task<AppendResult> SaveChangesAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_saved, this);
        var batch = new CommandBatch();
        var recordedAt = _store.Options.Clock.GetUtcNow().ToUniversalTime();
        var uncommitted = new List<UncommittedEvent>();
        var versions = new Dictionary<Guid, long>();

        foreach (var append in _pending)
        {
            var version = append.ExpectedVersion;
            foreach (var data in append.Events)
            {
                version++;
                var eventType = _store.Types.NameOf(data.GetType());
                batch.Add(
                    // The first event after an existing version takes its number from that version's row, so
                    // a missing one aborts the batch; the unique key proves nobody else took the next one.
                    version > 1 && version == append.ExpectedVersion + 1 ? InsertAfterExistingSql : InsertSql,
                    TenantId,
                    append.StreamId,
                    version,
                    append.StreamType,
                    eventType,
                    new NpgsqlParameter { Value = _store.Types.Serialize(data), NpgsqlDbType = NpgsqlDbType.Jsonb },
                    (object?)Metadata.CorrelationId,
                    (object?)Metadata.CausationId,
                    (object?)Metadata.Actor,
                    recordedAt);
                uncommitted.Add(new UncommittedEvent(TenantId, append.StreamId, version, append.StreamType, eventType, data, Metadata, recordedAt));
            }

            versions[append.StreamId] = version;
        }

        foreach (var projection in _store.Options.InlineProjections)
        {
            projection.Project(uncommitted, batch);
        }

        foreach (var participant in _participants)
        {
            await participant.BeforeCommitAsync(this, batch, cancellationToken).ConfigureAwait(false);
        }

        long lastSequence = 0;

        // With no transaction opened by the caller, the batch runs as PostgreSQL's implicit
        // transaction: one round trip, all statements or none.
        if (batch.Count > 0)
        {
            batch.Batch.Connection = await ConnectionAsync(cancellationToken).ConfigureAwait(false);
            batch.Batch.Transaction = _transaction;
            try
            {
                await using var reader = await batch.Batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                do
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        if (reader.FieldCount == 1 && reader.GetName(0) == "seq")
                        {
                            lastSequence = Math.Max(lastSequence, reader.GetInt64(0));
                        }
                    }
                }
                while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false));
            }
            catch (PostgresException ex) when (IsVersionConflict(ex))
            {
                var conflicted = _pending.FirstOrDefault(p => ex.Detail?.Contains(p.StreamId.ToString(), StringComparison.Ordinal) == true) ?? _pending[0];
                throw new StreamVersionConflictException(conflicted.StreamId, conflicted.ExpectedVersion);
            }
        }

        if (_transaction is not null)
        {
            await _transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        _saved = true;
        _pending.Clear();
        foreach (var participant in _participants)
        {
            await participant.AfterCommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return new AppendResult(versions, lastSequence);
    }

    public async ValueTask DisposeAsync()
    {
        if (_transaction is not null)
        {
            await _transaction.DisposeAsync().ConfigureAwait(false);
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private const string InsertSql =
        "INSERT INTO eah_events (tenant_id, stream_id, version, stream_type, event_type, data, correlation_id, causation_id, actor, recorded_at) "
        + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING seq";

    private const string InsertAfterExistingSql =
        "INSERT INTO eah_events (tenant_id, stream_id, version, stream_type, event_type, data, correlation_id, causation_id, actor, recorded_at) "
        + "VALUES ($1, $2, (SELECT version + 1 FROM eah_events WHERE tenant_id = $1 AND stream_id = $2 AND version = $3 - 1), $4, $5, $6, $7, $8, $9, $10) RETURNING seq";

    // A missing prior version makes the version NULL (NOT NULL violation); a taken next version trips the unique key.
    private static bool IsVersionConflict(PostgresException ex) =>
        (ex.SqlState == PostgresErrorCodes.NotNullViolation && ex.TableName == "eah_events" && ex.ColumnName == "version")
        || (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == "eah_events_stream_version");

    private sealed record PendingAppend(string StreamType, Guid StreamId, long ExpectedVersion, IReadOnlyList<object> Events);
}
