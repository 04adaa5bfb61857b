using Npgsql;

namespace ExpertsAtHand.Service.Hosting;

/// <summary>
/// The alert for a skipped gap. Marten's daemon waits while a transaction that could still fill a gap
/// in the event sequence is alive, and skips one only when it has been stuck longer than
/// Projections:SkipStuckGapAfterSeconds, recording it in mt_high_water_skips. Any such skip may have
/// left events out of the report projections, so each is logged as an error once, counted on the
/// <c>eah.projections.gaps_skipped</c> meter, and an operator rebuilds the projections it touched.
/// </summary>
public sealed partial class GapWatch(NpgsqlDataSource dataSource, IConfiguration configuration, ILogger<GapWatch> logger) : BackgroundService
{
    private static readonly System.Diagnostics.Metrics.Counter<long> Skipped =
        Telemetry.Meter.CreateCounter<long>("eah.projections.gaps_skipped", description: "Gaps in the event sequence Marten's daemon skipped after they stayed stuck past the configured time.");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var every = TimeSpan.FromSeconds(configuration.GetValue("Projections:GapWatchSeconds", 30.0));
        long seen = -1;
        using var timer = new PeriodicTimer(every);
        do
        {
            try
            {
                seen = await ReportNewSkipsAsync(seen, stoppingToken).ConfigureAwait(false);
            }
            catch (NpgsqlException ex)
            {
                LogUnreadable(logger, ex); // the database is away; the next tick looks again
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task<long> ReportNewSkipsAsync(long seen, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT starting_sequence, ending_sequence FROM mt_high_water_skips WHERE ending_sequence > $1 ORDER BY ending_sequence");
        command.Parameters.Add(new NpgsqlParameter { Value = seen });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var first = seen < 0;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var (from, to) = (reader.GetInt64(0), reader.GetInt64(1));
            seen = Math.Max(seen, to);
            if (!first)
            {
                Skipped.Add(1);
                LogSkipped(logger, from, to);
            }
        }

        // Skips already on record when this node started were alerted by whoever saw them happen.
        return Math.Max(seen, 0);
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "Marten's daemon skipped a gap in the event sequence after {From} up to {To}: events committed in it later may be missing from report projections; rebuild them (rebuild all)")]
    private static partial void LogSkipped(ILogger logger, long from, long to);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read Marten's record of skipped gaps")]
    private static partial void LogUnreadable(ILogger logger, Exception exception);
}
