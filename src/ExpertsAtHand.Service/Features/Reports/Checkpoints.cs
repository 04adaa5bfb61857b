using ExpertsAtHand.Service.Hosting;
using Npgsql;

namespace ExpertsAtHand.Service.Features.Reports;

/// <summary>What every report checks first: the caller may read reports, and the period makes sense.</summary>
public static class ReportRequest
{
    public static (Caller? Caller, DateOnly From, DateOnly To, IResult? Problem) Check(HttpContext http, DateOnly? from, DateOnly? to)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Coordinator, Roles.Commissioner))
        {
            return (null, default, default, Problems.Forbidden("Reports are for coordinators and commissioners."));
        }

        if (from is null || to is null || to < from)
        {
            return (null, default, default, TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                [from is null ? "from" : "to"] = ["Give the period as from and to dates (yyyy-MM-dd), ending on or after it starts."],
            }));
        }

        return (caller, from.Value, to.Value, null);
    }
}

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
