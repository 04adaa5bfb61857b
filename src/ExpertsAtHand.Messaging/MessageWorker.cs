using System.Diagnostics;
using ExpertsAtHand.EventStore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ExpertsAtHand.Messaging;

/// <summary>
/// Delivers due messages on this node. Loops claim rows under a lease (FOR UPDATE SKIP LOCKED, so
/// nodes never claim the same row), run the handler, and commit the handler's writes together with
/// the message's deletion. A node that dies loses its leases when they expire; a graceful stop
/// finishes what it can and releases the rest.
/// </summary>
public sealed partial class MessageWorker : IAsyncDisposable
{
    private const string ClaimSql =
        "UPDATE eah_messages m SET lease_owner = $1, lease_expires_at = $3, attempts = m.attempts + 1 "
        + "FROM (SELECT id FROM eah_messages WHERE due_at <= $2 AND (lease_expires_at IS NULL OR lease_expires_at <= $2) "
        + "ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED) due "
        + "WHERE m.id = due.id "
        + "RETURNING m.id, m.tenant_id, m.message_type, m.body, m.due_at, m.attempts, m.correlation_id, m.causation_id, m.trace_parent";

    private readonly MessageBus _bus;
    private readonly MessagingOptions _options;
    private readonly ILogger _logger;
    private readonly Random _jitter = new();
    private readonly Lock _gate = new();
    private readonly HashSet<Guid> _inFlight = [];
    private TaskCompletionSource _wake = NewSignal();
    private CancellationTokenSource? _stopClaiming;
    private CancellationTokenSource? _abortHandlers;
    private Task[] _running = [];

    public MessageWorker(MessageBus bus, ILogger<MessageWorker>? logger = null)
    {
        _bus = bus;
        _options = bus.Options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public void Start()
    {
        if (_running.Length > 0)
        {
            return;
        }

        _stopClaiming = new CancellationTokenSource();
        _abortHandlers = new CancellationTokenSource();
        _bus.OnLocalCommit(Wake);
        var loops = Enumerable.Range(0, Math.Max(1, _options.Parallelism))
            .Select(_ => Task.Run(() => LoopAsync(_stopClaiming.Token, _abortHandlers.Token)))
            .ToList();
        loops.Add(Task.Run(() => SampleQueueAsync(_stopClaiming.Token)));
        if (_options.ListenForNotifications)
        {
            loops.Add(Task.Run(() => ListenAsync(_stopClaiming.Token)));
        }

        _running = [.. loops];
    }

    /// <summary>Stops claiming, lets handlers in flight finish within the grace period, then releases what is left.</summary>
    public async Task StopAsync()
    {
        if (_stopClaiming is null || _abortHandlers is null)
        {
            return;
        }

        _bus.RemoveLocalCommit(Wake);
        await _stopClaiming.CancelAsync().ConfigureAwait(false);
        Wake();
        var all = Task.WhenAll(_running);
        if (await Task.WhenAny(all, Task.Delay(_options.ShutdownGrace)).ConfigureAwait(false) != all)
        {
            await _abortHandlers.CancelAsync().ConfigureAwait(false);
        }

        try
        {
            await all.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        Guid[] unfinished;
        lock (_gate)
        {
            unfinished = [.. _inFlight];
            _inFlight.Clear();
        }

        await ReleaseAsync(unfinished).ConfigureAwait(false);
        _stopClaiming.Dispose();
        _abortHandlers.Dispose();
        _stopClaiming = null;
        _abortHandlers = null;
        _running = [];
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <summary>Wakes idle loops now (a local commit, a notification, or a test that moved the clock).</summary>
    public void Wake() => Interlocked.Exchange(ref _wake, NewSignal()).TrySetResult();

    /// <summary>Handles every message due now on this thread, then returns how many it handled (for tests and tools).</summary>
    public async Task<int> RunUntilIdleAsync(CancellationToken cancellationToken = default)
    {
        var handled = 0;
        while (true)
        {
            var claimed = await ClaimAsync(cancellationToken).ConfigureAwait(false);
            if (claimed.Count == 0)
            {
                return handled;
            }

            foreach (var envelope in claimed)
            {
                await ProcessAsync(envelope, cancellationToken).ConfigureAwait(false);
                handled++;
            }
        }
    }

    private async Task LoopAsync(CancellationToken stopClaiming, CancellationToken abortHandlers)
    {
        while (!stopClaiming.IsCancellationRequested)
        {
            try
            {
                var signal = _wake.Task;
                var claimed = await ClaimAsync(stopClaiming).ConfigureAwait(false);
                if (claimed.Count == 0)
                {
                    var idle = await IdleTimeAsync(stopClaiming).ConfigureAwait(false);
                    await Task.WhenAny(signal, Task.Delay(idle, stopClaiming)).ConfigureAwait(false);
                    continue;
                }

                foreach (var envelope in claimed)
                {
                    if (stopClaiming.IsCancellationRequested)
                    {
                        break; // released by StopAsync: another node may take it at once
                    }

                    await ProcessAsync(envelope, abortHandlers).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stopClaiming.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                LogLoopFailed(_logger, ex);
                await Task.WhenAny(Task.Delay(_options.PollInterval, stopClaiming)).ConfigureAwait(false);
            }
        }
    }

    private async Task<List<MessageEnvelope>> ClaimAsync(CancellationToken cancellationToken)
    {
        var now = _options.Clock.GetUtcNow();
        await using var command = _bus.Store.DataSource.CreateCommand(ClaimSql);
        command.Parameters.Add(new NpgsqlParameter { Value = _options.NodeId });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        command.Parameters.Add(new NpgsqlParameter { Value = now + _options.LeaseDuration });
        command.Parameters.Add(new NpgsqlParameter { Value = _options.ClaimBatchSize });
        var claimed = new List<(Guid Id, string Tenant, string Type, string Body, DateTimeOffset DueAt, int Attempt, string? Correlation, string? Causation, string? Trace)>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                claimed.Add((
                    reader.GetGuid(0),
                    reader.GetString(1),
                    reader.GetString(2),
                    reader.GetString(3),
                    reader.GetFieldValue<DateTimeOffset>(4),
                    reader.GetInt32(5),
                    reader.IsDBNull(6) ? null : reader.GetString(6),
                    reader.IsDBNull(7) ? null : reader.GetString(7),
                    reader.IsDBNull(8) ? null : reader.GetString(8)));
            }
        }

        var envelopes = new List<MessageEnvelope>(claimed.Count);
        foreach (var row in claimed.OrderBy(r => r.DueAt))
        {
            object message;
            try
            {
                message = _bus.Options.Types.Deserialize(row.Type, row.Body);
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.Text.Json.JsonException or NotSupportedException)
            {
                // Unknown type or unreadable body: no retry can fix it.
                await DeadLetterAsync(row.Id, row.Attempt, new PoisonMessageException($"Message {row.Id} ({row.Type}) cannot be read: {ex.Message}", ex), cancellationToken).ConfigureAwait(false);
                continue;
            }

            lock (_gate)
            {
                _inFlight.Add(row.Id);
            }

            envelopes.Add(new MessageEnvelope(row.Id, row.Tenant, row.Type, message, row.DueAt, row.Attempt, row.Correlation, row.Causation, row.Trace));
        }

        return envelopes;
    }

    private async Task ProcessAsync(MessageEnvelope envelope, CancellationToken cancellationToken)
    {
        using var activity = MessagingTelemetry.Source.StartActivity(
            $"handle {envelope.MessageType}",
            ActivityKind.Consumer,
            ActivityContext.TryParse(envelope.TraceParent, null, out var parent) ? parent : default);
        activity?.SetTag("messaging.system", "postgresql");
        activity?.SetTag("messaging.message.id", envelope.Id.ToString());
        activity?.SetTag("messaging.operation.type", "process");
        activity?.SetTag("eah.message.attempt", envelope.Attempt);

        try
        {
            var handler = _bus.HandlerFor(envelope.Message.GetType())
                          ?? throw new PoisonMessageException($"No handler is registered for {envelope.MessageType}.");
            await using var session = _bus.Store.OpenSession(
                envelope.TenantId,
                new EventMetadata(envelope.CorrelationId, envelope.Id.ToString(), "messaging"));
            var outbox = _bus.OutboxFor(session);
            session.Enlist(new Completion(envelope.Id, _options.NodeId));
            await handler(envelope.Message, new MessageContext(envelope, session, outbox), cancellationToken).ConfigureAwait(false);
            await session.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            MessagingTelemetry.Processed.Add(1);
        }
        catch (PostgresException ex) when (ex.SqlState == "EAH02")
        {
            LogLeaseLost(_logger, envelope.Id); // another node took it over; its result stands
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return; // shutting down: StopAsync releases the message
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            MessagingTelemetry.Failed.Add(1);
            await FailAsync(envelope, ex).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _inFlight.Remove(envelope.Id);
            }
        }
    }

    private async Task FailAsync(MessageEnvelope envelope, Exception exception)
    {
        if (!_options.Retry.ShouldRetry(exception, envelope.Attempt))
        {
            await DeadLetterAsync(envelope.Id, envelope.Attempt, exception, CancellationToken.None).ConfigureAwait(false);
            return;
        }

        var retryAt = _options.Clock.GetUtcNow() + _options.Retry.DelayAfter(envelope.Attempt, _jitter);
        LogRetrying(_logger, exception, envelope.MessageType, envelope.Id, envelope.Attempt, retryAt);
        await using var command = _bus.Store.DataSource.CreateCommand(
            "UPDATE eah_messages SET due_at = $3, lease_owner = NULL, lease_expires_at = NULL, last_error = $4 WHERE id = $1 AND lease_owner = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = envelope.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = _options.NodeId });
        command.Parameters.Add(new NpgsqlParameter { Value = retryAt });
        command.Parameters.Add(new NpgsqlParameter { Value = Describe(exception) });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    private async Task DeadLetterAsync(Guid id, int attempts, Exception exception, CancellationToken cancellationToken)
    {
        LogDeadLettered(_logger, exception, id, attempts);
        await using var command = _bus.Store.DataSource.CreateCommand(
            "WITH moved AS (DELETE FROM eah_messages WHERE id = $1 AND lease_owner = $2 "
            + "RETURNING id, tenant_id, message_type, body, attempts, correlation_id, causation_id, trace_parent, created_at) "
            + "INSERT INTO eah_dead_letters (id, tenant_id, message_type, body, attempts, error, exception_type, correlation_id, causation_id, trace_parent, created_at, failed_at) "
            + "SELECT id, tenant_id, message_type, body, attempts, $3, $4, correlation_id, causation_id, trace_parent, created_at, $5 FROM moved");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = _options.NodeId });
        command.Parameters.Add(new NpgsqlParameter { Value = Describe(exception) });
        command.Parameters.Add(new NpgsqlParameter { Value = exception.GetType().FullName ?? exception.GetType().Name });
        command.Parameters.Add(new NpgsqlParameter { Value = _options.Clock.GetUtcNow() });
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0)
        {
            MessagingTelemetry.DeadLettered.Add(1);
        }
    }

    private async Task ReleaseAsync(Guid[] ids)
    {
        if (ids.Length == 0)
        {
            return;
        }

        // The attempt never ran to an outcome, so it does not count against the message.
        await using var command = _bus.Store.DataSource.CreateCommand(
            "UPDATE eah_messages SET lease_owner = NULL, lease_expires_at = NULL, attempts = greatest(attempts - 1, 0) WHERE id = ANY($1) AND lease_owner = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = ids });
        command.Parameters.Add(new NpgsqlParameter { Value = _options.NodeId });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>Sleep until the next scheduled message is due, but never longer than the polling interval.</summary>
    private async Task<TimeSpan> IdleTimeAsync(CancellationToken cancellationToken)
    {
        await using var command = _bus.Store.DataSource.CreateCommand("SELECT min(due_at) FROM eah_messages WHERE lease_owner IS NULL");
        var next = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        if (next is not DateTime nextDue)
        {
            return _options.PollInterval;
        }

        var until = new DateTimeOffset(nextDue, TimeSpan.Zero) - _options.Clock.GetUtcNow();
        return until <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(10) : until < _options.PollInterval ? until : _options.PollInterval;
    }

    private async Task ListenAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _bus.Store.DataSource.OpenConnectionAsync(stopping).ConfigureAwait(false);
                connection.Notification += (_, _) => Wake();
                await using (var listen = new NpgsqlCommand("LISTEN eah_messages", connection))
                {
                    await listen.ExecuteNonQueryAsync(stopping).ConfigureAwait(false);
                }

                Wake(); // anything committed while we were not listening
                while (!stopping.IsCancellationRequested)
                {
                    await connection.WaitAsync(stopping).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
            {
                LogListenFailed(_logger, ex); // polling carries on meanwhile
                await Task.WhenAny(Task.Delay(_options.PollInterval, stopping)).ConfigureAwait(false);
            }
        }
    }

    private async Task SampleQueueAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await using var command = _bus.Store.DataSource.CreateCommand("SELECT count(*), min(due_at) FROM eah_messages WHERE due_at <= $1");
                var now = _options.Clock.GetUtcNow();
                command.Parameters.Add(new NpgsqlParameter { Value = now });
                await using var reader = await command.ExecuteReaderAsync(stopping).ConfigureAwait(false);
                await reader.ReadAsync(stopping).ConfigureAwait(false);
                var oldest = reader.IsDBNull(1) ? 0 : (now - reader.GetFieldValue<DateTimeOffset>(1)).TotalSeconds;
                MessagingTelemetry.RecordQueue(reader.GetInt64(0), Math.Max(0, oldest));
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (NpgsqlException)
            {
                // The gauges keep their last values; the handler loops report the outage.
            }

            await Task.WhenAny(Task.Delay(TimeSpan.FromSeconds(5), stopping)).ConfigureAwait(false);
        }
    }

    private static string Describe(Exception exception) => $"{exception.GetType().Name}: {exception.Message}";

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Deletes the message in the handler's own transaction, proving the lease is still ours.</summary>
    private sealed class Completion(Guid id, string owner) : ITransactionParticipant
    {
        public ValueTask BeforeCommitAsync(EventSession session, CommandBatch batch, CancellationToken cancellationToken)
        {
            batch.Add("SELECT eah_complete_message($1, $2)", id, owner);
            return ValueTask.CompletedTask;
        }

        public ValueTask AfterCommitAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {MessageType} {MessageId} failed on attempt {Attempt}; retrying at {RetryAt}")]
    private static partial void LogRetrying(ILogger logger, Exception exception, string messageType, Guid messageId, int attempt, DateTimeOffset retryAt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Message {MessageId} moved to dead letters after {Attempts} attempt(s)")]
    private static partial void LogDeadLettered(ILogger logger, Exception exception, Guid messageId, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {MessageId} was taken over by another node after its lease expired")]
    private static partial void LogLeaseLost(ILogger logger, Guid messageId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Message loop failed; retrying")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "LISTEN connection failed; polling until it is back")]
    private static partial void LogListenFailed(ILogger logger, Exception exception);
}
