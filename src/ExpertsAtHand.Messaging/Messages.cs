using ExpertsAtHand.EventStore;

namespace ExpertsAtHand.Messaging;

/// <summary>A message as stored: its body plus everything needed to deliver, retry and trace it.</summary>
public sealed record MessageEnvelope(
    Guid Id,
    string TenantId,
    string MessageType,
    object Message,
    DateTimeOffset DueAt,
    int Attempt,
    string? CorrelationId,
    string? CausationId,
    string? TraceParent);

/// <summary>Handles one message type. Its database work commits together with the message's completion.</summary>
public interface IMessageHandler<in TMessage>
{
    Task HandleAsync(TMessage message, MessageContext context, CancellationToken cancellationToken);
}

/// <summary>
/// What a handler works with: a session for its tenant (its appends commit with the message's
/// completion), an outbox for cascading messages, and the message id to use as an idempotency key
/// for anything outside the database.
/// </summary>
public sealed class MessageContext
{
    internal MessageContext(MessageEnvelope envelope, EventSession session, Outbox outbox)
    {
        Envelope = envelope;
        Session = session;
        Outbox = outbox;
    }

    public MessageEnvelope Envelope { get; }
    public Guid MessageId => Envelope.Id;
    public int Attempt => Envelope.Attempt;
    public string TenantId => Envelope.TenantId;
    public EventSession Session { get; }
    public Outbox Outbox { get; }
}

/// <summary>Thrown by a handler for a message that can never succeed: it goes to dead letters at once.</summary>
public sealed class PoisonMessageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>How often and how soon a failed message is tried again.</summary>
public sealed record RetryPolicy
{
    public int MaxAttempts { get; init; } = 5;
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Exception types that are never retried (a validation failure will fail again).</summary>
    public IReadOnlyList<Type> NotRetried { get; init; } = [typeof(PoisonMessageException), typeof(ArgumentException)];

    public bool ShouldRetry(Exception exception, int attempt) =>
        attempt < MaxAttempts && !NotRetried.Any(type => type.IsInstanceOfType(exception));

    /// <summary>Exponential backoff with "equal jitter": half fixed, half random, so retries spread out.</summary>
    public TimeSpan DelayAfter(int attempt, Random random)
    {
        var exponential = BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Max(0, attempt - 1));
        var capped = Math.Min(exponential, MaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((capped / 2) + (random.NextDouble() * capped / 2));
    }
}
