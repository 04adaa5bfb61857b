using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.Features.Requests;
using Npgsql;

namespace ExpertsAtHand.Service.Features.Privacy;

/// <summary>What one retention sweep did. Held: due keys left because one of the child's requests is still open.</summary>
public sealed record RetentionRun(int KeysErased, int RequestsErased, int Held, long AccessLogEntriesRemoved);

/// <summary>
/// Enforces retention: erases every child's key whose day has come (their requests record it, as an
/// administrator's erasure does, with the grounds RetentionEnded), and removes access-log entries
/// older than the area keeps them. Dead letters expire by Wolverine's own expiry (Retention:DeadLetterDays).
/// One node sweeps at a time (a PostgreSQL advisory lock); a sweep that finds nothing due does nothing.
/// </summary>
public sealed partial class RetentionSweep(NpgsqlDataSource dataSource, DetailErasure erasure, RetentionRules rules, RequestRulesCatalog areas, TimeProvider clock, ILogger<RetentionSweep> logger)
{
    public const string Actor = "system:retention";

    public async Task<RetentionRun> RunAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_try_advisory_lock(hashtext('eah-retention'))", connection))
        {
            if (!(bool)(await lockCommand.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                return new RetentionRun(0, 0, 0, 0); // another node is sweeping
            }
        }

        try
        {
            var (keys, requests, held) = await EraseDueKeysAsync(connection, cancellationToken).ConfigureAwait(false);
            var removed = await TrimAccessLogAsync(connection, cancellationToken).ConfigureAwait(false);
            if (keys + held + removed > 0)
            {
                LogSwept(logger, keys, requests, held, removed);
            }

            return new RetentionRun(keys, requests, held, removed);
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtext('eah-retention'))", connection);
            await unlock.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task<(int Keys, int Requests, int Held)> EraseDueKeysAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var due = new List<(string Tenant, Guid Key)>();
        await using (var command = new NpgsqlCommand("SELECT tenant_id, key_id, erase_due_on FROM detail_keys WHERE erase_due_on <= $1 ORDER BY erase_due_on LIMIT 1000", connection))
        {
            // The latest date any area could have reached: each key is then checked against its own area's day.
            command.Parameters.Add(new NpgsqlParameter { Value = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime.AddDays(1)) });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var tenant = reader.GetString(0);
                if (reader.GetFieldValue<DateOnly>(2) <= areas.For(tenant).LocalDate(clock.GetUtcNow()))
                {
                    due.Add((tenant, reader.GetGuid(1)));
                }
            }
        }

        int keys = 0, requests = 0, held = 0;
        foreach (var (tenant, key) in due)
        {
            switch (await erasure.EraseKeyAsync(tenant, key, ErasureGrounds.RetentionEnded, Actor, cancellationToken).ConfigureAwait(false))
            {
                case ErasureResult.Erased erased:
                    keys++;
                    requests += erased.Requests;
                    break;
                case ErasureResult.Refused or ErasureResult.Stale:
                    held++; // still open, or changing as we looked: the next sweep tries again
                    break;
            }
        }

        return (keys, requests, held);
    }

    /// <summary>
    /// Removes each area's access-log entries older than Retention:AccessLogMonths, oldest first, and
    /// records the hash of the last one removed, where verification of what is left starts.
    /// </summary>
    private async Task<long> TrimAccessLogAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var cutoff = clock.GetUtcNow().AddMonths(-rules.AccessLogMonths);
        var tenants = new List<string>();
        await using (var command = new NpgsqlCommand("SELECT DISTINCT tenant_id FROM access_log WHERE at < $1", connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = cutoff });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                tenants.Add(reader.GetString(0));
            }
        }

        long removed = 0;
        foreach (var tenant in tenants)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var declare = new NpgsqlCommand("SELECT set_config('eah.access_log_retention_before', $1, true)", connection, transaction))
            {
                declare.Parameters.Add(new NpgsqlParameter { Value = cutoff.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture) });
                await declare.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            // Entries are chained in id order under the area's lock, so the old ones are a prefix of the chain;
            // the trigger refuses the whole trim should any entry in that prefix be newer than the cut-off.
            await using var trim = new NpgsqlCommand(
                "WITH last AS (SELECT id, hash FROM access_log WHERE tenant_id = $1 AND at < $2 ORDER BY id DESC LIMIT 1), "
                + "gone AS (DELETE FROM access_log a USING last WHERE a.tenant_id = $1 AND a.id <= last.id RETURNING a.id) "
                + "INSERT INTO access_log_trims (tenant_id, trimmed_at, through_id, through_hash, removed) "
                + "SELECT $1, $3, last.id, last.hash, (SELECT count(*) FROM gone) FROM last RETURNING removed",
                connection,
                transaction);
            trim.Parameters.Add(new NpgsqlParameter { Value = tenant });
            trim.Parameters.Add(new NpgsqlParameter { Value = cutoff });
            trim.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
            removed += await trim.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as long? ?? 0;
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return removed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: erased {Keys} children's keys ({Requests} requests), {Held} held by an open request, removed {Removed} access-log entries")]
    private static partial void LogSwept(ILogger logger, int keys, int requests, int held, long removed);
}

/// <summary>Runs the sweep every Retention:SweepMinutes (60) on a node that runs workers.</summary>
public sealed class RetentionSchedule(RetentionSweep sweep, IConfiguration configuration, TimeProvider clock, ILogger<RetentionSchedule> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!configuration.GetValue("Messaging:RunWorkers", true))
        {
            return; // tests sweep when they choose
        }

        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(configuration.GetValue("Retention:SweepMinutes", 60.0)), clock);
        do
        {
            try
            {
                await sweep.RunAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or Marten.Exceptions.MartenCommandException)
            {
                RetentionScheduleLog.SweepFailed(logger, ex); // the database is away: the next tick tries again
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}

internal static partial class RetentionScheduleLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention sweep failed; it runs again at the next interval")]
    public static partial void SweepFailed(ILogger logger, Exception exception);
}
