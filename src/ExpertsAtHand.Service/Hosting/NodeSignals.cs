using System.Diagnostics.Metrics;
using ExpertsAtHand.Service.Features.Admin;
using Npgsql;

namespace ExpertsAtHand.Service.Hosting;

/// <summary>What this node last saw of the signs that come before users notice.</summary>
/// <param name="ProjectionLag">Events each report projection is behind the log.</param>
/// <param name="FreeShare">Free space on the embedded database's disk (null on a configured server).</param>
public sealed record SignalSnapshot(IReadOnlyDictionary<string, long> ProjectionLag, QueueStatus Queue, double? FreeShare, DateTimeOffset At);

/// <summary>
/// Samples the early warnings every Monitoring:SampleSeconds (15): each report projection's lag,
/// the message queue (waiting, oldest due, dead letters in the last hour) and the embedded data
/// folder's free space. Readiness lists those past their thresholds (Alerts:…, see ops/alerts.md);
/// meters carry them to the operator's dashboards.
/// </summary>
public sealed partial class NodeSignals(NpgsqlDataSource dataSource, MessageQueues queues, IConfiguration configuration, IServiceProvider services, ILogger<NodeSignals> logger) : BackgroundService
{
    private volatile SignalSnapshot? _latest;

    // The gauges read the node's latest sample: registered once, as a process holds one node.
    private static volatile SignalSnapshot? _forMeters;

    static NodeSignals()
    {
        var meter = Telemetry.Meter;
        meter.CreateObservableGauge("eah.projections.lag", () => (_forMeters?.ProjectionLag ?? new Dictionary<string, long>()).Select(p => new Measurement<long>(p.Value, new KeyValuePair<string, object?>("projection", p.Key))), description: "Events each report projection is behind the log.");
        meter.CreateObservableGauge("eah.messages.waiting", () => _forMeters?.Queue.Waiting ?? 0, description: "Messages due and not yet handled.");
        meter.CreateObservableGauge("eah.messages.oldest_due_seconds", () => _forMeters?.Queue.OldestDueSeconds ?? 0, description: "How long the oldest due message has waited.");
        meter.CreateObservableGauge("eah.messages.dead_letters_last_hour", () => _forMeters?.Queue.DeadLettersLastHour ?? 0, description: "Messages that failed for good in the last hour.");
        meter.CreateObservableGauge("eah.disk.free_share", () => _forMeters?.FreeShare ?? 1, description: "Free share of the embedded database's disk.");
    }

    public SignalSnapshot? Latest => _latest;

    /// <summary>The thresholds passed, in words an operator acts on; empty when all is well or nothing was sampled yet.</summary>
    public IReadOnlyList<string> Warnings()
    {
        if (_latest is not { } s)
        {
            return [];
        }

        var warnings = new List<string>();
        var maxLag = configuration.GetValue("Alerts:ProjectionLagEvents", 10_000L);
        warnings.AddRange(s.ProjectionLag.Where(p => p.Value > maxLag).Select(p => $"Projection {p.Key} is {p.Value} events behind the log (alert above {maxLag})."));
        var maxWait = configuration.GetValue("Alerts:OldestDueSeconds", 300.0);
        if (s.Queue.OldestDueSeconds > maxWait)
        {
            warnings.Add($"A message due {s.Queue.OldestDueSeconds:0} s ago is not handled yet (alert above {maxWait:0} s).");
        }

        if (s.Queue.DeadLettersLastHour > configuration.GetValue("Alerts:DeadLettersLastHour", 0))
        {
            warnings.Add($"{s.Queue.DeadLettersLastHour} message(s) failed for good in the last hour: see the dead letters.");
        }

        var minFree = configuration.GetValue("Alerts:FreeDiskShare", 0.1);
        if (s.FreeShare < minFree)
        {
            warnings.Add($"The database's disk has {s.FreeShare:P0} free (alert below {minFree:P0}).");
        }

        return warnings;
    }

    public async Task<SignalSnapshot> SampleAsync(CancellationToken cancellationToken)
    {
        var lag = (await EventLog.ProjectionProgress.ReadAsync(dataSource, MartenAndWolverine.ReportProjectionNames, cancellationToken).ConfigureAwait(false))
            .ToDictionary(p => p.Name, p => p.Lag, StringComparer.Ordinal);
        var queue = await queues.StatusAsync(null, cancellationToken).ConfigureAwait(false);
        var snapshot = new SignalSnapshot(lag, queue, FreeShare(), queue.At);
        _latest = snapshot;
        _forMeters = snapshot;
        return snapshot;
    }

    private double? FreeShare()
    {
        if (services.GetService<DatabaseLease>() is not { IsEmbedded: true, DataDirectory: { } folder })
        {
            return null;
        }

        var drive = new DriveInfo(folder);
        return drive.TotalSize > 0 ? (double)drive.AvailableFreeSpace / drive.TotalSize : null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(configuration.GetValue("Monitoring:SampleSeconds", 15.0)));
        do
        {
            try
            {
                await SampleAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (NpgsqlException ex)
            {
                LogUnsampled(logger, ex); // readiness says the database is away; the next tick looks again
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not sample the node's signals")]
    private static partial void LogUnsampled(ILogger logger, Exception exception);
}
