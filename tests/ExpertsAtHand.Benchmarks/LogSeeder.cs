using Marten;
using Npgsql;
using NpgsqlTypes;

namespace ExpertsAtHand.Benchmarks;

/// <summary>
/// Writes events straight into Marten's tables with binary COPY (serialised by the store's own
/// serializer, under their stored names), far faster than appending them one command at a time, so
/// the suites can measure catch-up and reports over millions of events. The streams table is filled
/// from the events afterwards; its foreign key is set aside while the events are copied.
/// </summary>
internal sealed class LogSeeder(NpgsqlDataSource dataSource, IDocumentStore store, Func<Type, string> nameOf, long lastSequence) : IAsyncDisposable
{
    private long _sequence = lastSequence;
    private const int RowsPerCopy = 200_000;
    private NpgsqlConnection? _connection;
    private NpgsqlBinaryImporter? _importer;
    private long _inCopy;

    public long Rows { get; private set; }

    public static async Task<LogSeeder> StartAsync(NpgsqlDataSource dataSource, IDocumentStore store, Func<Type, string> nameOf)
    {
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        await using var drop = dataSource.CreateCommand("ALTER TABLE mt_events DROP CONSTRAINT IF EXISTS fkey_mt_events_stream_id_tenant_id");
        await drop.ExecuteNonQueryAsync();
        await using var last = dataSource.CreateCommand("SELECT coalesce(max(seq_id), 0) FROM mt_events");
        return new LogSeeder(dataSource, store, nameOf, (long)(await last.ExecuteScalarAsync())!);
    }

    public async Task WriteAsync(string tenant, Guid stream, long version, object data, DateTimeOffset recordedAt)
    {
        if (_importer is null)
        {
            _connection = await dataSource.OpenConnectionAsync();
            _importer = await _connection.BeginBinaryImportAsync(
                "COPY mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type) FROM STDIN (FORMAT BINARY)");
        }

        var type = data.GetType();
        await _importer.StartRowAsync();
        Rows++;
        await _importer.WriteAsync(++_sequence, NpgsqlDbType.Bigint);
        await _importer.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid);
        await _importer.WriteAsync(stream, NpgsqlDbType.Uuid);
        await _importer.WriteAsync(version, NpgsqlDbType.Bigint);
        await _importer.WriteAsync(store.Options.Serializer().ToJson(data), NpgsqlDbType.Jsonb);
        await _importer.WriteAsync(nameOf(type), NpgsqlDbType.Varchar);
        await _importer.WriteAsync(recordedAt, NpgsqlDbType.TimestampTz);
        await _importer.WriteAsync(tenant, NpgsqlDbType.Varchar);
        await _importer.WriteAsync($"{type.FullName}, {type.Assembly.GetName().Name}", NpgsqlDbType.Varchar);
        if (++_inCopy == RowsPerCopy)
        {
            await CompleteCopyAsync();
        }
    }

    /// <summary>Ends the copy, fills the streams table, puts the foreign key back and moves the sequence past the seeded events.</summary>
    public async ValueTask DisposeAsync()
    {
        await CompleteCopyAsync();
        await using var finish = dataSource.CreateCommand(
            "INSERT INTO mt_streams (tenant_id, id, version, timestamp, created) "
            + "SELECT tenant_id, stream_id, max(version), max(timestamp), min(timestamp) FROM mt_events GROUP BY tenant_id, stream_id ON CONFLICT DO NOTHING; "
            + "ALTER TABLE mt_events ADD CONSTRAINT fkey_mt_events_stream_id_tenant_id FOREIGN KEY (tenant_id, stream_id) REFERENCES mt_streams (tenant_id, id); "
            + "SELECT setval('mt_events_sequence', (SELECT coalesce(max(seq_id), 1) FROM mt_events))");
        finish.CommandTimeout = 0;
        await finish.ExecuteNonQueryAsync();
        await using var vacuum = dataSource.CreateCommand("VACUUM ANALYZE mt_events"); // not in a transaction block
        vacuum.CommandTimeout = 0;
        await vacuum.ExecuteNonQueryAsync();
    }

    private async Task CompleteCopyAsync()
    {
        if (_importer is not { } importer)
        {
            return;
        }

        _importer = null;
        _inCopy = 0;
        try
        {
            await importer.CompleteAsync();
        }
        finally
        {
            await importer.DisposeAsync();
            await _connection!.DisposeAsync();
        }
    }
}
