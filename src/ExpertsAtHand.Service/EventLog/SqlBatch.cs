using System.Text.RegularExpressions;
using Marten;
using Npgsql;

namespace ExpertsAtHand.Service.EventLog;

/// <summary>
/// The SQL a read-model projection writes, with positional parameters ($1, $2, … as PostgreSQL
/// numbers them). Queued into Marten's unit of work, it commits with the events (inline) or with the
/// daemon's progress (async); run on an as-of connection, it fills that answer's temporary tables.
/// </summary>
public sealed partial class SqlBatch
{
    // Marten binds a placeholder character, once per value; ours are numbered and may repeat.
    private const char Placeholder = '^';

    private readonly List<(string Sql, object?[] Values)> _commands = [];

    public int Count => _commands.Count;

    /// <summary>
    /// Queues <paramref name="sql"/> with <paramref name="values"/> bound to $1, $2, …. Instants are
    /// sent as UTC (timestamptz stores instants), so no projection has to remember to convert one.
    /// </summary>
    public void Add(string sql, params object?[] values) =>
        _commands.Add((sql, [.. values.Select(v => v is DateTimeOffset instant ? instant.ToUniversalTime() : v)]));

    /// <summary>Into Marten's unit of work: the statements run in its batch, in this order.</summary>
    public void QueueInto(IDocumentOperations operations)
    {
        foreach (var (sql, values) in _commands)
        {
            var (text, order) = Converted.GetOrAdd(sql, Convert);
            var ordered = new object[order.Length];
            for (var i = 0; i < order.Length; i++)
            {
                ordered[i] = values[order[i]]!; // a null is fine: Marten binds it as DBNull, though its signature does not say so
            }

            operations.QueueSqlCommand(Placeholder, text, ordered);
        }

        _commands.Clear();
    }

    // Projections send the same few statements millions of times in a rebuild: each is converted once.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string Text, int[] Order)> Converted = new(StringComparer.Ordinal);

    private static (string Text, int[] Order) Convert(string sql)
    {
        var order = new List<int>();
        var text = Numbered().Replace(sql, match =>
        {
            order.Add(int.Parse(match.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture) - 1);
            return Placeholder.ToString();
        });
        return (text, [.. order]);
    }

    /// <summary>On a connection of our own (an as-of answer's), in one round trip.</summary>
    public async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        if (_commands.Count == 0)
        {
            return;
        }

        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var (sql, values) in _commands)
        {
            var command = new NpgsqlBatchCommand(sql);
            foreach (var value in values)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
            }

            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        _commands.Clear();
    }

    [GeneratedRegex(@"\$(\d+)")]
    private static partial Regex Numbered();
}
