using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.Features.Requests;
using Marten;
using Npgsql;

namespace ExpertsAtHand.Service.Features.Privacy;

/// <summary>
/// Seals, once, the requests recorded before details were sealed: each gets its child's key, and its
/// events are rewritten in place with their details sealed (the read models' copies of them too). This
/// is the one place an in-place rewrite of the log is right, and the one place Marten's event masking
/// would fit; but a masking rule sees an event without its stream, so it cannot pick the child's key,
/// and this rewrite does the same with the key in hand, one request to a transaction. Backups taken
/// before the upgrade still hold the plain text: they age out with the backup cycle.
/// </summary>
public static class RecordedBeforeSealing
{
    private const string Upgrade = "seal-details-recorded-before-sealing";

    /// <summary>Seals what was recorded before sealing, once (recorded in data_upgrades); returns how many requests it sealed.</summary>
    public static async Task<int> SealAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        await using (var done = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM data_upgrades WHERE name = $1)"))
        {
            done.Parameters.Add(new NpgsqlParameter { Value = Upgrade });
            if ((bool)(await done.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                return 0;
            }
        }

        var sealedCount = await SealPendingAsync(services, dataSource, cancellationToken).ConfigureAwait(false);
        await using var record = dataSource.CreateCommand("INSERT INTO data_upgrades (name, done_at) VALUES ($1, now()) ON CONFLICT DO NOTHING");
        record.Parameters.Add(new NpgsqlParameter { Value = Upgrade });
        await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return sealedCount;
    }

    private static async Task<int> SealPendingAsync(IServiceProvider services, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var pending = new List<(string Tenant, Guid Stream)>();
        await using (var find = dataSource.CreateCommand("SELECT tenant_id, stream_id FROM mt_events WHERE type = 'request-raised' AND data->>'detailsKey' IS NULL ORDER BY seq_id"))
        await using (var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                pending.Add((reader.GetString(0), reader.GetGuid(1)));
            }
        }

        if (pending.Count == 0)
        {
            return 0;
        }

        var store = services.GetRequiredService<IDocumentStore>();
        var keys = services.GetRequiredService<DetailKeys>();
        var serializer = store.Options.Serializer();
        foreach (var (tenant, stream) in pending)
        {
            await using var session = store.QuerySession(tenant);
            var events = await session.Events.FetchStreamAsync(stream, token: cancellationToken).ConfigureAwait(false);
            var raised = events.Select(e => e.Data).OfType<RequestRaised>().First();
            var key = await keys.ForNewRequestAsync(tenant, raised.SettingUrn, raised.Child, raised.ReceivedOn, cancellationToken).ConfigureAwait(false);
            var childKey = RequestDetailSealing.Keyed(raised, key).ChildKey;
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            foreach (var e in events)
            {
                var data = e.Data is RequestRaised r ? RequestDetailSealing.Keyed(r, key) : e.Data;
                var sealedData = RequestDetailSealing.Seal(data, key);
                await ExecuteAsync(connection, transaction, "UPDATE mt_events SET data = $2::jsonb WHERE seq_id = $1", cancellationToken, e.Sequence, serializer.ToJson(sealedData));
                if (sealedData is PractitionerAllocated { OverrideReason: { } reason } allocated)
                {
                    await ExecuteAsync(connection, transaction, "UPDATE rm_allocations SET override_reason = $3 WHERE tenant_id = $1 AND allocation_id = $2", cancellationToken,
                        tenant, RequestViews.AllocationId(stream, e.Version, allocated), reason);
                }
            }

            await ExecuteAsync(connection, transaction, "UPDATE rm_requests SET details_key = $3 WHERE tenant_id = $1 AND request_id = $2", cancellationToken, tenant, stream, key.Id);
            await ExecuteAsync(connection, transaction, "UPDATE rpt_episodes SET child_key = $3 WHERE tenant_id = $1 AND request_id = $2", cancellationToken, tenant, stream, (object?)childKey ?? DBNull.Value);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return pending.Count;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in values)
        {
            command.Parameters.Add(value == DBNull.Value ? new NpgsqlParameter { Value = value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text } : new NpgsqlParameter { Value = value });
        }

        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
