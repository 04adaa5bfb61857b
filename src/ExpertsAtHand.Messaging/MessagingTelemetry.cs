using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ExpertsAtHand.Messaging;

/// <summary>Traces of every delivery and the queue's vital signs.</summary>
public static class MessagingTelemetry
{
    public const string Name = "ExpertsAtHand.Messaging";

    public static readonly ActivitySource Source = new(Name);
    private static readonly Meter Meter = new(Name);

    internal static readonly Counter<long> Sent = Meter.CreateCounter<long>("eah.messages.sent", description: "Messages committed to the outbox.");
    internal static readonly Counter<long> Processed = Meter.CreateCounter<long>("eah.messages.processed", description: "Messages handled successfully.");
    internal static readonly Counter<long> Failed = Meter.CreateCounter<long>("eah.messages.failed", description: "Handler attempts that failed.");
    internal static readonly Counter<long> DeadLettered = Meter.CreateCounter<long>("eah.messages.dead_lettered", description: "Messages moved to dead letters.");

    private static long _depth;
    private static double _oldestDueAgeSeconds;

    static MessagingTelemetry()
    {
        Meter.CreateObservableGauge("eah.messages.queue_depth", () => Interlocked.Read(ref _depth), description: "Messages due now and not yet handled.");
        Meter.CreateObservableGauge("eah.messages.oldest_due_age", () => Volatile.Read(ref _oldestDueAgeSeconds), unit: "s", description: "How long the oldest due message has waited.");
    }

    internal static void RecordQueue(long depth, double oldestDueAgeSeconds)
    {
        Interlocked.Exchange(ref _depth, depth);
        Volatile.Write(ref _oldestDueAgeSeconds, oldestDueAgeSeconds);
    }
}
