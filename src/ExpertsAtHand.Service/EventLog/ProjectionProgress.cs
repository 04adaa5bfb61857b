using Npgsql;

namespace ExpertsAtHand.Service.EventLog;

/// <summary>Where a report projection stands in Marten's log: the last event it applied, the log's newest, and when it last moved.</summary>
public sealed record ProjectionPosition(string Name, long LastSequence, long HighWaterMark, DateTimeOffset? UpdatedAt)
{
    public long Lag => Math.Max(0, HighWaterMark - LastSequence);
}

/// <summary>
/// Reads Marten's progression for the report projections (each runs as one shard, "{name}:All"):
/// the admin view, the node's signals and the rebuild verb's progress bar all ask it the same way.
/// </summary>
public static class ProjectionProgress
{
    public static async Task<IReadOnlyList<ProjectionPosition>> ReadAsync(NpgsqlDataSource dataSource, IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT n, coalesce(p.last_seq_id, 0), (SELECT coalesce(max(seq_id), 0) FROM mt_events), p.last_updated "
            + "FROM unnest($1::text[]) AS n LEFT JOIN mt_event_progression p ON p.name = n || ':All' ORDER BY n");
        command.Parameters.Add(new NpgsqlParameter { Value = names.ToArray() });
        var positions = new List<ProjectionPosition>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            positions.Add(new ProjectionPosition(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return positions;
    }
}
