using Npgsql;

namespace ExpertsAtHand.Service.Features.Reports;

public static class Checkpoints
{
    /// <summary>
    /// The last event position a projection has applied. Read before the figures, so an answer
    /// includes at least everything up to the position it states.
    /// </summary>
    public static async Task<long> PositionAsync(NpgsqlDataSource dataSource, string projection, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT coalesce((SELECT last_seq FROM eah_projection_progress WHERE name = $1), 0)");
        command.Parameters.Add(new NpgsqlParameter { Value = projection });
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }
}
