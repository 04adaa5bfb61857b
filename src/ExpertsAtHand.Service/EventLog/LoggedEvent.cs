using JasperFx.Events;

namespace ExpertsAtHand.Service.EventLog;

/// <summary>
/// An event as our read-model projections see it, whether Marten hands it over (inline, or from its
/// async daemon) or an as-of answer replays it: the area, the stream and its version, the data, who
/// did it and when it was recorded.
/// </summary>
public sealed record LoggedEvent(long Sequence, string TenantId, Guid StreamId, long Version, object Data, string? Actor, DateTimeOffset RecordedAt)
{
    public static LoggedEvent From(IEvent e) => new(e.Sequence, e.TenantId, e.StreamId, e.Version, e.Data, e.UserName, e.Timestamp);
}
