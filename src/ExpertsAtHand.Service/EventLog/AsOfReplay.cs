using Marten;
using Npgsql;
using NpgsqlTypes;

namespace ExpertsAtHand.Service.EventLog;

/// <summary>
/// Answers "as the log stood then": one area's events recorded before the cut, read from Marten's
/// log in its order and fed through the report projections' own code into the caller's connection,
/// where temporary tables of the same names shadow the live read models. Marten has no such feature;
/// the live tables and the daemon's progress are never touched.
/// </summary>
public sealed class AsOfReplay(IDocumentStore store, NpgsqlDataSource dataSource)
{
    private const int BatchSize = 5_000;

    /// <returns>The last event position of the area's log before the cut.</returns>
    public async Task<long> ReplayAsync(IReadOnlyList<IReportProjection> projections, NpgsqlConnection connection, NpgsqlTransaction transaction, string tenant, DateTimeOffset recordedBefore, CancellationToken cancellationToken)
    {
        var types = projections.SelectMany(p => p.EventTypes).Distinct().ToDictionary(EventNames.NameOf, t => t, StringComparer.Ordinal);
        var serializer = store.Options.Serializer();

        // Read on a second connection so each batch can be applied on the caller's while the rows stream.
        await using var source = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "SELECT seq_id, type, stream_id, version, timestamp, data FROM mt_events WHERE tenant_id = $1 AND timestamp < $2 AND type = ANY($3) ORDER BY seq_id",
            source);
        command.CommandTimeout = 0;
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = recordedBefore.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter { Value = types.Keys.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Varchar });
        var batch = new List<LoggedEvent>(BatchSize);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var data = serializer.FromJson(types[reader.GetString(1)], reader, 5);
                batch.Add(new LoggedEvent(reader.GetInt64(0), tenant, reader.GetGuid(2), reader.GetInt64(3), data, null, reader.GetFieldValue<DateTimeOffset>(4)));
                if (batch.Count == BatchSize)
                {
                    await ApplyAsync(projections, batch, connection, transaction, cancellationToken).ConfigureAwait(false);
                    batch.Clear();
                }
            }
        }

        await ApplyAsync(projections, batch, connection, transaction, cancellationToken).ConfigureAwait(false);
        await using var last = new NpgsqlCommand("SELECT coalesce(max(seq_id), 0) FROM mt_events WHERE tenant_id = $1 AND timestamp < $2", connection, transaction);
        last.Parameters.Add(new NpgsqlParameter { Value = tenant });
        last.Parameters.Add(new NpgsqlParameter { Value = recordedBefore.ToUniversalTime() });
        return (long)(await last.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task ApplyAsync(IReadOnlyList<IReportProjection> projections, List<LoggedEvent> events, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return;
        }

        var sql = new SqlBatch();
        foreach (var projection in projections)
        {
            var mine = projections.Count == 1 ? events : [.. events.Where(e => projection.EventTypes.Contains(e.Data.GetType()))];
            if (mine.Count > 0)
            {
                projection.Apply(mine, sql);
            }
        }

        await sql.ExecuteAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
    }
}
