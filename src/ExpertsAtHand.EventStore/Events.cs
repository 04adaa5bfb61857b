namespace ExpertsAtHand.EventStore;

/// <summary>Who and what caused an event: travels with every event and every message it causes.</summary>
public sealed record EventMetadata(string? CorrelationId = null, string? CausationId = null, string? Actor = null)
{
    public static readonly EventMetadata None = new();
}

/// <summary>An event read back from the log, with its global position.</summary>
public sealed record StoredEvent(
    long Sequence,
    string TenantId,
    Guid StreamId,
    long Version,
    string StreamType,
    string EventType,
    object Data,
    EventMetadata Metadata,
    DateTimeOffset RecordedAt);

/// <summary>An event about to be committed: what inline projections see inside the appending transaction.</summary>
public sealed record UncommittedEvent(
    string TenantId,
    Guid StreamId,
    long Version,
    string StreamType,
    string EventType,
    object Data,
    EventMetadata Metadata,
    DateTimeOffset RecordedAt);

/// <summary>A stream folded into state, with the version it was read at (the next append's expected version).</summary>
public sealed record StreamState<TState>(TState State, long Version)
{
    public bool Exists => Version > 0;
}

/// <summary>Someone else appended to the stream first. The API maps this to 409/412.</summary>
public sealed class StreamVersionConflictException(Guid streamId, long expectedVersion)
    : Exception($"Stream {streamId} is no longer at version {expectedVersion}: it was changed by someone else.")
{
    public Guid StreamId { get; } = streamId;
    public long ExpectedVersion { get; } = expectedVersion;
}
