namespace ExpertsAtHand.Service.EventLog;

/// <summary>
/// The clock Marten stamps events with: the service's own, except while a history is written as it
/// happened (the demo area's term), when each event must carry the moment it stands for. The override
/// flows with the async call that set it, so nothing else running meanwhile is stamped by it.
/// </summary>
public sealed class EventClock(TimeProvider clock) : TimeProvider
{
    private static readonly AsyncLocal<TimeProvider?> Story = new();

    public override DateTimeOffset GetUtcNow() => (Story.Value ?? clock).GetUtcNow();

    public override TimeZoneInfo LocalTimeZone => clock.LocalTimeZone;

    /// <summary>Until disposed, events appended on this async flow are stamped by <paramref name="story"/>.</summary>
    public static IDisposable Use(TimeProvider story)
    {
        var previous = Story.Value;
        Story.Value = story;
        return new Restore(previous);
    }

    private sealed class Restore(TimeProvider? previous) : IDisposable
    {
        public void Dispose() => Story.Value = previous;
    }
}
