using System.Diagnostics;
using ExpertsAtHand.EventStore;
using NpgsqlTypes;

namespace ExpertsAtHand.Messaging;

/// <summary>
/// Messages to send when a session commits. They are rows in the same transaction as the session's
/// events: both commit, or neither does. Nothing is delivered from inside an HTTP request.
/// </summary>
public sealed class Outbox : ITransactionParticipant
{
    private readonly MessageBus _bus;
    private readonly EventSession _session;
    private readonly List<MessageEnvelope> _pending = [];

    internal Outbox(MessageBus bus, EventSession session)
    {
        _bus = bus;
        _session = session;
        session.Enlist(this);
    }

    /// <summary>Deliver as soon as possible after commit.</summary>
    public Guid Send(object message) => Schedule(message, _bus.Options.Clock.GetUtcNow());

    /// <summary>Deliver at <paramref name="dueAt"/>, never before.</summary>
    public Guid Schedule(object message, DateTimeOffset dueAt)
    {
        ArgumentNullException.ThrowIfNull(message);
        _ = _bus.Options.Types.NameOf(message.GetType()); // fail now, not at commit, for an unregistered type
        var envelope = new MessageEnvelope(
            Guid.CreateVersion7(),
            _session.TenantId,
            _bus.Options.Types.NameOf(message.GetType()),
            message,
            dueAt.ToUniversalTime(), // PostgreSQL's timestamptz takes instants; Npgsql accepts only UTC offsets
            0,
            _session.Metadata.CorrelationId ?? Activity.Current?.TraceId.ToString(),
            _session.Metadata.CausationId,
            Activity.Current?.Id);
        _pending.Add(envelope);
        return envelope.Id;
    }

    ValueTask ITransactionParticipant.BeforeCommitAsync(EventSession session, CommandBatch batch, CancellationToken cancellationToken)
    {
        if (_pending.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        var createdAt = _bus.Options.Clock.GetUtcNow();
        foreach (var envelope in _pending)
        {
            batch.Add(
                "INSERT INTO eah_messages (id, tenant_id, message_type, body, due_at, correlation_id, causation_id, trace_parent, created_at) "
                + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                envelope.Id,
                envelope.TenantId,
                envelope.MessageType,
                new Npgsql.NpgsqlParameter { Value = _bus.Options.Types.Serialize(envelope.Message), NpgsqlDbType = NpgsqlDbType.Jsonb },
                envelope.DueAt,
                (object?)envelope.CorrelationId,
                (object?)envelope.CausationId,
                (object?)envelope.TraceParent,
                createdAt);
        }

        // Delivered to listeners only if the transaction commits.
        batch.Add("SELECT pg_notify('eah_messages', '')");
        return ValueTask.CompletedTask;
    }

    ValueTask ITransactionParticipant.AfterCommitAsync(CancellationToken cancellationToken)
    {
        if (_pending.Count > 0)
        {
            MessagingTelemetry.Sent.Add(_pending.Count);
            _bus.WakeLocalWorkers();
            _pending.Clear();
        }

        return ValueTask.CompletedTask;
    }
}
