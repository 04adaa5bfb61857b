using ExpertsAtHand.EventStore;
using ExpertsAtHand.EventStore.Postgres;

namespace ExpertsAtHand.Messaging;

public sealed record MessagingOptions
{
    /// <summary>Stable names for message types, as for events.</summary>
    public TypeRegistry Types { get; init; } = new();

    public RetryPolicy Retry { get; init; } = new();

    /// <summary>Handler loops per node.</summary>
    public int Parallelism { get; init; } = 4;

    /// <summary>Messages one loop claims at a time.</summary>
    public int ClaimBatchSize { get; init; } = 8;

    /// <summary>How long a claim lasts; a node that dies holding one loses it after this.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The polling fallback: how long an idle loop sleeps without being woken.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>LISTEN for commits that enqueue messages, so idle loops wake at once.</summary>
    public bool ListenForNotifications { get; init; } = true;

    /// <summary>How long a graceful stop waits for handlers in flight before releasing their messages.</summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Due times, leases and backoff all read this clock; tests move it by hand.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    public string NodeId { get; init; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";
}

/// <summary>
/// The messaging entry point, shaped like Wolverine's bus: message handlers by type, an outbox per
/// session, and the dead-letter queue. Workers (<see cref="MessageWorker"/>) do the delivering.
/// </summary>
public sealed class MessageBus
{
    private readonly Dictionary<Type, Func<object, MessageContext, CancellationToken, Task>> _handlers = [];
    private event Action? LocalCommit;

    public MessageBus(EventStore.EventStore store, MessagingOptions options)
    {
        Store = store;
        Options = options;
        DeadLetters = new DeadLetters(store.DataSource, options.Clock);
    }

    public static IReadOnlyList<Migration> Migrations { get; } = Migration.FromAssembly(typeof(MessageBus).Assembly, "messaging");

    public EventStore.EventStore Store { get; }
    public MessagingOptions Options { get; }
    public DeadLetters DeadLetters { get; }

    public MessageBus Handle<TMessage>(IMessageHandler<TMessage> handler)
    {
        _ = Options.Types.NameOf(typeof(TMessage));
        _handlers[typeof(TMessage)] = (message, context, cancellationToken) => handler.HandleAsync((TMessage)message, context, cancellationToken);
        return this;
    }

    public MessageBus Handle<TMessage>(Func<TMessage, MessageContext, CancellationToken, Task> handler)
    {
        _ = Options.Types.NameOf(typeof(TMessage));
        _handlers[typeof(TMessage)] = (message, context, cancellationToken) => handler((TMessage)message, context, cancellationToken);
        return this;
    }

    /// <summary>The outbox of <paramref name="session"/>: its messages commit with the session.</summary>
    public Outbox OutboxFor(EventSession session) => new(this, session);

    /// <summary>Sends messages in a session of their own (for callers with no events to append).</summary>
    public async Task<IReadOnlyList<Guid>> SendAsync(string tenantId, EventMetadata metadata, CancellationToken cancellationToken, params object[] messages)
    {
        await using var session = Store.OpenSession(tenantId, metadata);
        var outbox = OutboxFor(session);
        var ids = messages.Select(outbox.Send).ToList();
        await session.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return ids;
    }

    internal Func<object, MessageContext, CancellationToken, Task>? HandlerFor(Type messageType) => _handlers.GetValueOrDefault(messageType);

    internal void WakeLocalWorkers() => LocalCommit?.Invoke();

    internal void OnLocalCommit(Action wake) => LocalCommit += wake;

    internal void RemoveLocalCommit(Action wake) => LocalCommit -= wake;
}
