using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace ExpertsAtHand.EventStore;

public sealed record ProjectionDaemonOptions
{
    /// <summary>Events read, applied and checkpointed per transaction while keeping up with live traffic.</summary>
    public int BatchSize { get; init; } = 2_000;

    /// <summary>
    /// While a projection is behind (every batch comes back full) batches double up to this size:
    /// fewer, larger transactions for catch-up and rebuilds, small ones when live.
    /// </summary>
    public int MaxBatchSize { get; init; } = 10_000; // a batch's list stays below the large object heap

    /// <summary>How long an idle projection waits before looking for new events again.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How often a node that does not own a projection checks whether its owner has gone.</summary>
    public TimeSpan TakeoverInterval { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>Where a projection stands: its checkpoint and how far the log has moved beyond it.</summary>
public sealed record ProjectionStatus(string Name, long LastSequence, long HighWaterMark, DateTimeOffset? UpdatedAt, bool RunningHere)
{
    public long Lag => Math.Max(0, HighWaterMark - LastSequence);
}

public sealed record ProjectionProgress(string Name, long Processed, long Total);

/// <summary>
/// Runs async projections behind the log. Correctness rests on three rules:
/// <list type="bullet">
/// <item>Events are read in (transaction id, position) order and only from transactions older than
/// the oldest one still running (<c>pg_snapshot_xmin</c>), so an event that commits late can never
/// fall behind a checkpoint: its transaction id holds the horizon back until it commits.</item>
/// <item>A projection's writes and its checkpoint commit in one transaction: a crash loses or
/// repeats nothing.</item>
/// <item>Each projection runs on one node at a time, under a session advisory lock; when that node
/// dies its connection closes, the lock is released, and another node takes over.</item>
/// </list>
/// </summary>
public sealed partial class ProjectionDaemon : IAsyncDisposable
{
    /// <summary>
    /// The columns <see cref="Decode"/> reads for <paramref name="parts"/>, in its order. They do not
    /// include tx_id: only a batch's last event needs it (to say where the batch ends), and one more
    /// column on every row costs the server more than one lookup a batch.
    /// </summary>
    /// <remarks>
    /// Position and type come first, so an event the projection does not handle is skipped after two
    /// columns, and <see cref="Decode"/> reads the rest strictly in order (the reader never seeks back).
    /// </remarks>
    private static string EventColumns(EnvelopeParts parts) =>
        "seq, event_type, tenant_id, stream_id, version, data, recorded_at"
        + (parts.HasFlag(EnvelopeParts.StreamType) ? ", stream_type" : string.Empty)
        + (parts.HasFlag(EnvelopeParts.Metadata) ? ", correlation_id, causation_id, actor" : string.Empty);

    /// <summary>What one projection's batches read: its event types by stored name, its envelope, and the query for them.</summary>
    private sealed record ReadPlan(HashSet<string> Handled, EnvelopeParts Parts)
    {
        public string Sql { get; } =
            "SELECT " + EventColumns(Parts) + " FROM eah_events WHERE (tx_id, seq) > ($1, $2) AND tx_id < pg_snapshot_xmin(pg_current_snapshot()) "
            + "ORDER BY tx_id, seq LIMIT $3";
    }

    private readonly EventStore _store;
    private readonly Dictionary<string, IAsyncProjection> _projections;
    private readonly ProjectionDaemonOptions _options;
    private readonly ILogger _logger;
    private readonly Dictionary<string, AgentRun> _agents = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public ProjectionDaemon(EventStore store, IEnumerable<IAsyncProjection> projections, ProjectionDaemonOptions? options = null, ILogger<ProjectionDaemon>? logger = null)
    {
        _store = store;
        _projections = projections.ToDictionary(p => p.Name, StringComparer.Ordinal);
        _options = options ?? new ProjectionDaemonOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public IReadOnlyCollection<string> ProjectionNames => _projections.Keys;

    /// <summary>Starts an agent per projection; each runs wherever it wins the lock.</summary>
    public void Start()
    {
        foreach (var name in _projections.Keys)
        {
            StartAgent(name);
        }
    }

    public async Task StopAsync()
    {
        List<AgentRun> running;
        lock (_gate)
        {
            running = [.. _agents.Values];
            _agents.Clear();
        }

        foreach (var agent in running)
        {
            await agent.StopAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <summary>
    /// Applies what is safe to apply now: every event below the commit horizon. Returns how many
    /// events it read. An open transaction anywhere on the server (even in another database: the
    /// horizon is cluster-wide) holds back events committed after it began.
    /// </summary>
    public Task<long> ApplyAvailableAsync(string name, CancellationToken cancellationToken = default) =>
        RunUnderLockAsync(name, untilSequence: null, progress: null, cancellationToken);

    /// <summary>
    /// Applies every event committed before this call, waiting for the commit horizon to pass them,
    /// and returns how many events it read.
    /// </summary>
    public async Task<long> CatchUpAsync(string name, IProgress<ProjectionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var target = await _store.HighWaterMarkAsync(cancellationToken).ConfigureAwait(false);
        return await RunUnderLockAsync(name, target, progress, cancellationToken).ConfigureAwait(false);
    }

    private async Task<long> RunUnderLockAsync(string name, long? untilSequence, IProgress<ProjectionProgress>? progress, CancellationToken cancellationToken)
    {
        var projection = Find(name);
        await using var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await EnsureProgressRowAsync(connection, name, cancellationToken).ConfigureAwait(false);
        await LockAsync(connection, name, wait: true, cancellationToken).ConfigureAwait(false);
        try
        {
            var total = progress is null ? 0 : await RemainingAsync(connection, name, cancellationToken).ConfigureAwait(false);
            return await PumpAsync(connection, projection, untilSequence, runForever: false, processed => progress?.Report(new ProjectionProgress(name, processed, Math.Max(total, processed))), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await UnlockAsync(connection, name).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Applies batches on the lock-holding connection while the next batch is already being read and
    /// decoded on a second one, so reading, decoding and writing overlap. A prefetched batch is
    /// applied only if the checkpoint still stands where the batch begins (a rebuild may have reset it).
    /// </summary>
    private async Task<long> PumpAsync(NpgsqlConnection connection, IAsyncProjection projection, long? untilSequence, bool runForever, Action<long> reportProcessed, CancellationToken cancellationToken)
    {
        await using var prefetch = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var plan = new ReadPlan(new HashSet<string>(projection.EventTypes.Select(_store.Types.NameOf), StringComparer.Ordinal), projection.Envelope);
        var position = await ReadCheckpointAsync(connection, projection.Name, cancellationToken).ConfigureAwait(false);
        var size = _options.BatchSize;
        long processed = 0;
        var next = ReadBatchAsync(prefetch, plan, position, size, cancellationToken);
        try
        {
            while (true)
            {
                var batch = await next.ConfigureAwait(false);
                if (batch.Read == 0)
                {
                    reportProcessed(processed);
                    var waitForMore = runForever
                        || (untilSequence is { } target && await HasUnappliedAsync(connection, projection.Name, target, cancellationToken).ConfigureAwait(false));
                    if (!waitForMore)
                    {
                        return processed;
                    }

                    await Task.Delay(_options.PollInterval, cancellationToken).ConfigureAwait(false);
                    position = await ReadCheckpointAsync(connection, projection.Name, cancellationToken).ConfigureAwait(false);
                    size = _options.BatchSize;
                    next = ReadBatchAsync(prefetch, plan, position, size, cancellationToken);
                    continue;
                }

                size = NextBatchSize(size, batch.Read);
                next = ReadBatchAsync(prefetch, plan, batch.To, size, cancellationToken);
                if (await ApplyBatchAsync(connection, projection, batch, cancellationToken).ConfigureAwait(false))
                {
                    processed += batch.Read;
                    position = batch.To;
                    reportProcessed(processed);
                    continue;
                }

                // The checkpoint moved under us (a reset): drop the prefetch and start from where it now stands.
                await Drain(next).ConfigureAwait(false);
                position = await ReadCheckpointAsync(connection, projection.Name, cancellationToken).ConfigureAwait(false);
                next = ReadBatchAsync(prefetch, plan, position, size, cancellationToken);
            }
        }
        finally
        {
            await Drain(next).ConfigureAwait(false);
        }
    }

    private static async Task Drain(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or InvalidOperationException or System.Text.Json.JsonException)
        {
            // A prefetch nobody will use: its failure, if any, does not matter.
        }
    }

    /// <summary>
    /// Empties the read model and replays the whole log into it. If this node runs the projection
    /// its agent is paused meanwhile; if another node owns it, that node replays and we report its progress.
    /// </summary>
    public async Task RebuildAsync(string name, IProgress<ProjectionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var projection = Find(name);
        AgentRun? paused;
        lock (_gate)
        {
            _agents.Remove(name, out paused);
        }

        if (paused is not null)
        {
            await paused.StopAsync().ConfigureAwait(false);
        }

        try
        {
            await ResetAsync(projection, cancellationToken).ConfigureAwait(false);
            LogRebuilding(_logger, name);
            await using var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            if (await LockAsync(connection, name, wait: false, cancellationToken).ConfigureAwait(false))
            {
                await UnlockAsync(connection, name).ConfigureAwait(false);
                await CatchUpAsync(name, progress, cancellationToken).ConfigureAwait(false);
                return;
            }

            await WatchRemoteRebuildAsync(connection, name, progress, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (paused is not null)
            {
                StartAgent(name);
            }
        }
    }

    public async Task<IReadOnlyList<ProjectionStatus>> StatusAsync(CancellationToken cancellationToken = default)
    {
        var highWaterMark = await _store.HighWaterMarkAsync(cancellationToken).ConfigureAwait(false);
        var rows = new Dictionary<string, (long Seq, DateTimeOffset At)>(StringComparer.Ordinal);
        await using (var command = _store.DataSource.CreateCommand("SELECT name, last_seq, updated_at FROM eah_projection_progress"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows[reader.GetString(0)] = (reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2));
            }
        }

        lock (_gate)
        {
            return
            [
                .. _projections.Keys.Order(StringComparer.Ordinal).Select(name => rows.TryGetValue(name, out var row)
                    ? new ProjectionStatus(name, row.Seq, highWaterMark, row.At, _agents.ContainsKey(name))
                    : new ProjectionStatus(name, 0, highWaterMark, null, _agents.ContainsKey(name))),
            ];
        }
    }

    private void StartAgent(string name)
    {
        lock (_gate)
        {
            if (_agents.ContainsKey(name))
            {
                return;
            }

            var stop = new CancellationTokenSource();
            _agents[name] = new AgentRun(Task.Run(() => RunAgentAsync(_projections[name], stop.Token)), stop);
        }
    }

    private async Task RunAgentAsync(IAsyncProjection projection, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _store.DataSource.OpenConnectionAsync(stopping).ConfigureAwait(false);
                await EnsureProgressRowAsync(connection, projection.Name, stopping).ConfigureAwait(false);
                if (!await LockAsync(connection, projection.Name, wait: false, stopping).ConfigureAwait(false))
                {
                    await connection.CloseAsync().ConfigureAwait(false);
                    await Task.Delay(_options.TakeoverInterval, stopping).ConfigureAwait(false);
                    continue;
                }

                LogOwning(_logger, projection.Name);
                try
                {
                    await PumpAsync(connection, projection, untilSequence: null, runForever: true, _ => { }, stopping).ConfigureAwait(false);
                }
                finally
                {
                    await UnlockAsync(connection, projection.Name).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                LogAgentFailed(_logger, ex, projection.Name);
                try
                {
                    await Task.Delay(_options.TakeoverInterval, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private readonly record struct Position(ulong Tx, long Seq);

    private sealed record EventBatch(Position From, Position To, int Read, List<StoredEvent> Events);

    private static async Task<Position> ReadCheckpointAsync(NpgsqlConnection connection, string name, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT last_tx, last_seq FROM eah_projection_progress WHERE name = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new Position(reader.GetFieldValue<ulong>(0), reader.GetInt64(1));
    }

    /// <summary>The next committed events after <paramref name="from"/>, below the commit horizon, decoded.</summary>
    private async Task<EventBatch> ReadBatchAsync(NpgsqlConnection connection, ReadPlan plan, Position from, int batchSize, CancellationToken cancellationToken)
    {
        await Task.Yield(); // decode off the caller's path so it overlaps the apply of the previous batch
        var events = new List<StoredEvent>(batchSize);
        var read = 0;
        var lastSeq = from.Seq;
        await using (var command = new NpgsqlCommand(plan.Sql, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = from.Tx, NpgsqlDbType = NpgsqlDbType.Xid8 });
            command.Parameters.Add(new NpgsqlParameter { Value = from.Seq });
            command.Parameters.Add(new NpgsqlParameter { Value = batchSize });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                read++;
                lastSeq = reader.GetInt64(0);
                var eventType = reader.GetString(1);
                if (plan.Handled.Contains(eventType))
                {
                    events.Add(Decode(reader, lastSeq, eventType, plan.Parts));
                }
            }
        }

        return new EventBatch(from, read == 0 ? from : new Position(await TransactionOfAsync(connection, lastSeq, cancellationToken).ConfigureAwait(false), lastSeq), read, events);
    }

    /// <summary>The transaction that wrote the event at <paramref name="seq"/>: events are never deleted, so it is always there.</summary>
    private static async Task<ulong> TransactionOfAsync(NpgsqlConnection connection, long seq, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT tx_id FROM eah_events WHERE seq = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = seq });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? reader.GetFieldValue<ulong>(0)
            : throw new InvalidOperationException($"Event {seq} was read a moment ago and is no longer in the log; events must never be deleted.");
    }

    /// <summary>
    /// The rest of a row of <see cref="EventColumns"/> for <paramref name="parts"/> as a stored event,
    /// its position and type already read.
    /// </summary>
    private StoredEvent Decode(NpgsqlDataReader reader, long sequence, string eventType, EnvelopeParts parts)
    {
        var tenant = reader.GetString(2);
        var stream = reader.GetGuid(3);
        var version = reader.GetInt64(4);
        var data = _store.Types.Deserialize(eventType, reader.GetString(5));
        var recordedAt = reader.GetFieldValue<DateTimeOffset>(6);
        var next = 7;
        var streamType = parts.HasFlag(EnvelopeParts.StreamType) ? reader.GetString(next++) : string.Empty;
        var metadata = EventMetadata.None;
        if (parts.HasFlag(EnvelopeParts.Metadata))
        {
            string? Text(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
            var (correlation, causation, actor) = (Text(next), Text(next + 1), Text(next + 2));
            metadata = correlation is null && causation is null && actor is null ? EventMetadata.None : new EventMetadata(correlation, causation, actor);
        }

        return new StoredEvent(sequence, tenant, stream, version, streamType, eventType, data, metadata, recordedAt);
    }

    /// <summary>Applies a batch and moves the checkpoint in one transaction, if the checkpoint still stands where the batch begins.</summary>
    private static async Task<bool> ApplyBatchAsync(NpgsqlConnection connection, IAsyncProjection projection, EventBatch batch, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        // One round trip for both. A read model is derived data and its checkpoint commits atomically
        // with it: if the server crashes before this commit reaches disk, both roll back together and
        // the batch is replayed. So the projection need not wait for a disk flush; the event log itself
        // stays fully durable. The row lock makes a concurrent reset (rebuild) wait for this batch, and
        // this batch for it.
        await using (var begin = new NpgsqlBatch(connection, transaction))
        {
            begin.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit = off"));
            var checkpoint = new NpgsqlBatchCommand("SELECT last_tx, last_seq FROM eah_projection_progress WHERE name = $1 FOR UPDATE");
            checkpoint.Parameters.Add(new NpgsqlParameter { Value = projection.Name });
            begin.BatchCommands.Add(checkpoint);
            await using var reader = await begin.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (new Position(reader.GetFieldValue<ulong>(0), reader.GetInt64(1)) != batch.From)
            {
                return false; // disposing the transaction rolls it back
            }
        }

        var commands = new CommandBatch();
        if (batch.Events.Count > 0)
        {
            await projection.ApplyAsync(batch.Events, new ProjectionContext(connection, transaction, commands), cancellationToken).ConfigureAwait(false);
        }

        commands.Add(
            "UPDATE eah_projection_progress SET last_tx = $2, last_seq = $3, updated_at = now() WHERE name = $1",
            projection.Name,
            new NpgsqlParameter { Value = batch.To.Tx, NpgsqlDbType = NpgsqlDbType.Xid8 },
            batch.To.Seq);
        commands.Batch.Connection = connection;
        commands.Batch.Transaction = transaction;
        await commands.Batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    private int NextBatchSize(int current, int read) =>
        read >= current ? Math.Min(current * 2, Math.Max(_options.MaxBatchSize, _options.BatchSize)) : _options.BatchSize;

    private async Task ResetAsync(IAsyncProjection projection, CancellationToken cancellationToken)
    {
        await using var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await EnsureProgressRowAsync(connection, projection.Name, cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM eah_projection_progress WHERE name = $1 FOR UPDATE", connection, transaction))
        {
            lockRow.Parameters.Add(new NpgsqlParameter { Value = projection.Name });
            await lockRow.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var batch = new CommandBatch();
        await projection.ResetAsync(new ProjectionContext(connection, transaction, batch), cancellationToken).ConfigureAwait(false);
        batch.Add("UPDATE eah_projection_progress SET last_tx = '0', last_seq = 0, updated_at = now() WHERE name = $1", projection.Name);
        batch.Batch.Connection = connection;
        batch.Batch.Transaction = transaction;
        await batch.Batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task WatchRemoteRebuildAsync(NpgsqlConnection connection, string name, IProgress<ProjectionProgress>? progress, CancellationToken cancellationToken)
    {
        var target = await _store.HighWaterMarkAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            await using var command = new NpgsqlCommand("SELECT last_seq FROM eah_projection_progress WHERE name = $1", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = name });
            var position = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            progress?.Report(new ProjectionProgress(name, Math.Min(position, target), target));
            if (position >= target)
            {
                return;
            }

            await Task.Delay(_options.PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<long> RemainingAsync(NpgsqlConnection connection, string name, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM eah_events e, eah_projection_progress p WHERE p.name = $1 AND (e.tx_id, e.seq) > (p.last_tx, p.last_seq)",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task<bool> HasUnappliedAsync(NpgsqlConnection connection, string name, long untilSequence, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT EXISTS (SELECT 1 FROM eah_events e, eah_projection_progress p WHERE p.name = $1 AND (e.tx_id, e.seq) > (p.last_tx, p.last_seq) AND e.seq <= $2)",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        command.Parameters.Add(new NpgsqlParameter { Value = untilSequence });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task EnsureProgressRowAsync(NpgsqlConnection connection, string name, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("INSERT INTO eah_projection_progress (name) VALUES ($1) ON CONFLICT (name) DO NOTHING", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<bool> LockAsync(NpgsqlConnection connection, string name, bool wait, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(wait ? "SELECT pg_advisory_lock($1), true" : "SELECT true, pg_try_advisory_lock($1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = LockKey(name) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return reader.GetBoolean(1);
    }

    private static async Task UnlockAsync(NpgsqlConnection connection, string name)
    {
        if (connection.State != System.Data.ConnectionState.Open)
        {
            return; // a broken connection has already lost its session locks
        }

        try
        {
            await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = LockKey(name) });
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        catch (NpgsqlException)
        {
            // The connection died under us; PostgreSQL released the lock with it.
        }
    }

    /// <summary>A stable 64-bit key per projection name (FNV-1a), the same on every node and every run.</summary>
    internal static long LockKey(string name)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes("projection:" + name))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return unchecked((long)hash);
    }

    private IAsyncProjection Find(string name) => _projections.TryGetValue(name, out var projection)
        ? projection
        : throw new ArgumentException($"No async projection is named '{name}'. Known: {string.Join(", ", _projections.Keys)}.", nameof(name));

    private sealed class AgentRun(Task task, CancellationTokenSource stop)
    {
        public async Task StopAsync()
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            stop.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Projection {Projection} is running on this node")]
    private static partial void LogOwning(ILogger logger, string projection);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rebuilding projection {Projection}")]
    private static partial void LogRebuilding(ILogger logger, string projection);

    [LoggerMessage(Level = LogLevel.Error, Message = "Projection {Projection} failed; retrying")]
    private static partial void LogAgentFailed(ILogger logger, Exception exception, string projection);
}
