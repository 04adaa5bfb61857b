using Npgsql;

namespace ExpertsAtHand.EventStore;

/// <summary>What a point-in-time replay included: the last event position of the tenant's log before the cut.</summary>
public sealed record ReplayResult(long LastEventPosition, long EventsApplied);

public sealed partial class ProjectionDaemon
{
    private static string ReplaySql(EnvelopeParts parts) =>
        "SELECT " + EventColumns(parts) + " FROM eah_events WHERE tenant_id = $1 AND recorded_at < $2 AND event_type = ANY($3) ORDER BY tx_id, seq";

    private const int ReplayBatchSize = 5_000;

    /// <summary>
    /// Replays one tenant's events recorded before <paramref name="recordedBefore"/> through
    /// <paramref name="projections"/> on the caller's connection and transaction, in the daemon's
    /// commit order, reading the log once for all of them. With the projections' tables shadowed by
    /// empty temporary tables, this answers "as the log stood then" without touching the live read
    /// models or their checkpoints.
    /// </summary>
    public async Task<ReplayResult> ReplayAsync(
        IReadOnlyList<IAsyncProjection> projections,
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        string tenant,
        DateTimeOffset recordedBefore,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(projections);
        ArgumentException.ThrowIfNullOrWhiteSpace(tenant);
        var handled = projections.SelectMany(p => p.EventTypes).Distinct().Select(_store.Types.NameOf).ToArray();
        var parts = projections.Aggregate(EnvelopeParts.None, (all, p) => all | p.Envelope);

        // Read on a second connection so each batch can be applied on the caller's while the rows stream.
        await using var source = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(ReplaySql(parts), source);
        command.CommandTimeout = 0;
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = recordedBefore.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter { Value = handled });
        long applied = 0;
        var batch = new List<StoredEvent>(ReplayBatchSize);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                batch.Add(Decode(reader, reader.GetInt64(0), reader.GetString(1), parts));
                if (batch.Count == ReplayBatchSize)
                {
                    applied += await ApplyReplayedAsync(projections, connection, transaction, batch, cancellationToken).ConfigureAwait(false);
                    batch = new List<StoredEvent>(ReplayBatchSize);
                }
            }
        }

        applied += await ApplyReplayedAsync(projections, connection, transaction, batch, cancellationToken).ConfigureAwait(false);

        await using var last = new NpgsqlCommand("SELECT coalesce(max(seq), 0) FROM eah_events WHERE tenant_id = $1 AND recorded_at < $2", connection, transaction);
        last.Parameters.Add(new NpgsqlParameter { Value = tenant });
        last.Parameters.Add(new NpgsqlParameter { Value = recordedBefore.ToUniversalTime() });
        var position = (long)(await last.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        return new ReplayResult(position, applied);
    }

    private static async Task<long> ApplyReplayedAsync(IReadOnlyList<IAsyncProjection> projections, NpgsqlConnection connection, NpgsqlTransaction transaction, List<StoredEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return 0;
        }

        var commands = new CommandBatch();
        var context = new ProjectionContext(connection, transaction, commands);
        foreach (var projection in projections)
        {
            var mine = projections.Count == 1 ? events : events.Where(e => projection.EventTypes.Contains(e.Data.GetType())).ToList();
            if (mine.Count > 0)
            {
                await projection.ApplyAsync(mine, context, cancellationToken).ConfigureAwait(false);
            }
        }

        if (commands.Count > 0)
        {
            commands.Batch.Connection = connection;
            commands.Batch.Transaction = transaction;
            await commands.Batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return events.Count;
    }
}
