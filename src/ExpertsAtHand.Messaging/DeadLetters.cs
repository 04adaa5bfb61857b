using Npgsql;

namespace ExpertsAtHand.Messaging;

public sealed record DeadLetter(
    Guid Id,
    string TenantId,
    string MessageType,
    int Attempts,
    string Error,
    string ExceptionType,
    DateTimeOffset CreatedAt,
    DateTimeOffset FailedAt);

/// <summary>Messages that failed for good, kept with their error until someone replays or discards them.</summary>
public sealed class DeadLetters(NpgsqlDataSource dataSource, TimeProvider clock)
{
    public async Task<IReadOnlyList<DeadLetter>> ListAsync(string? tenantId = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT id, tenant_id, message_type, attempts, error, exception_type, created_at, failed_at FROM eah_dead_letters "
            + "WHERE $1::text IS NULL OR tenant_id = $1 ORDER BY failed_at DESC LIMIT $2");
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)tenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        var letters = new List<DeadLetter>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            letters.Add(new DeadLetter(
                reader.GetGuid(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetInt32(3),
                reader.GetString(4),
                reader.GetString(5),
                reader.GetFieldValue<DateTimeOffset>(6),
                reader.GetFieldValue<DateTimeOffset>(7)));
        }

        return letters;
    }

    /// <summary>Puts the message back in the queue, due now, with a fresh set of attempts.</summary>
    public async Task<bool> ReplayAsync(Guid id, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        await using var batch = dataSource.CreateBatch();
        var revive = new NpgsqlBatchCommand(
            "WITH revived AS (DELETE FROM eah_dead_letters WHERE id = $1 AND ($2::text IS NULL OR tenant_id = $2) "
            + "RETURNING id, tenant_id, message_type, body, correlation_id, causation_id, trace_parent, created_at) "
            + "INSERT INTO eah_messages (id, tenant_id, message_type, body, due_at, correlation_id, causation_id, trace_parent, created_at) "
            + "SELECT id, tenant_id, message_type, body, $3, correlation_id, causation_id, trace_parent, created_at FROM revived");
        revive.Parameters.Add(new NpgsqlParameter { Value = id });
        revive.Parameters.Add(new NpgsqlParameter { Value = (object?)tenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        revive.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
        batch.BatchCommands.Add(revive);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_notify('eah_messages', '')"));
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return revive.RecordsAffected > 0;
    }

    public async Task<bool> DiscardAsync(Guid id, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM eah_dead_letters WHERE id = $1 AND ($2::text IS NULL OR tenant_id = $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)tenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }
}
