using ExpertsAtHand.Service.EventLog;
using ExpertsAtHand.Service.Features.Requests;
using Npgsql;
using NpgsqlTypes;

namespace ExpertsAtHand.Service.Features.Reports;

/// <summary>
/// Where a report reads from. Live, that is the read models and the position their projections have
/// reached. As of a date, the same projections replay the tenant's log up to the end of that local day
/// into temporary tables of the same names, inside a transaction that is rolled back: the same queries
/// then answer from the log as it stood, and nothing live is touched.
/// </summary>
public sealed class ReportSource(NpgsqlDataSource dataSource, AsOfConnections asOfConnections, AsOfReplay replay, IEnumerable<IReportProjection> projections, RequestRulesCatalog rules)
{
    private readonly Dictionary<string, IReportProjection> _projections = projections.ToDictionary(p => p.Name, StringComparer.Ordinal);

    /// <summary>Opens the view the query asks for (live, or as of its date), answers from it, and closes it.</summary>
    public async Task<IResult> AnswerAsync<T>(ReportQuery query, string projection, Func<ReportView, Task<T>> answer, CancellationToken cancellationToken)
    {
        await using var view = await OpenAsync(query.Tenant, query.AsOf, [projection], cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(await answer(view).ConfigureAwait(false));
    }

    public async Task<ReportView> OpenAsync(string tenant, DateOnly? asOf, IReadOnlyList<string> projectionNames, CancellationToken cancellationToken)
    {
        var connection = await (asOf is null ? dataSource : asOfConnections.DataSource).OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (asOf is null)
            {
                await using var checkpoint = new NpgsqlCommand(
                    "SELECT coalesce(min(coalesce(p.last_seq_id, 0)), 0) FROM unnest($1::text[]) AS n LEFT JOIN mt_event_progression p ON p.name = n || ':All'", connection);
                checkpoint.Parameters.Add(new NpgsqlParameter { Value = projectionNames.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                var position = (long)(await checkpoint.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                return new ReportView(connection, null, position, null);
            }

            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var before = rules.For(tenant).StartOf(asOf.Value.AddDays(1));
            var replayed = projectionNames.Select(name => _projections[name]).ToList();
            foreach (var table in replayed.SelectMany(p => p.Tables))
            {
                // Table names are the projections' own constants, never input.
                await using var shadow = new NpgsqlCommand($"CREATE TEMP TABLE {table} (LIKE public.{table} INCLUDING ALL) ON COMMIT DROP", connection, transaction);
                await shadow.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            var last = await replay.ReplayAsync(replayed, connection, transaction, tenant, before, cancellationToken).ConfigureAwait(false);
            return new ReportView(connection, transaction, last, asOf);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}

/// <summary>The connections as-of answers use (see ServiceHost.CreateAsOfConnections); disposed with the host.</summary>
public sealed class AsOfConnections(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    public NpgsqlDataSource DataSource { get; } = dataSource;

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}

/// <summary>An open connection to a report's tables (live or replayed), and the last event position they include.</summary>
public sealed class ReportView(NpgsqlConnection connection, NpgsqlTransaction? transaction, long lastEventPosition, DateOnly? asOf) : IAsyncDisposable
{
    public long LastEventPosition => lastEventPosition;

    public DateOnly? AsOf => asOf;

    /// <summary>A command with positional parameters $1, $2, … bound in order; null values are sent as typed nulls of text.</summary>
    public NpgsqlCommand Command(string sql, params object?[] values)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in values)
        {
            command.Parameters.Add(value is null ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text } : new NpgsqlParameter { Value = value });
        }

        return command;
    }

    public async ValueTask DisposeAsync()
    {
        if (transaction is not null)
        {
            await transaction.DisposeAsync().ConfigureAwait(false); // rolls back: the replayed tables go with it
        }

        await connection.DisposeAsync().ConfigureAwait(false);
    }
}
