using System.Diagnostics;
using ExpertsAtHand.EventStore;
using ExpertsAtHand.EventStore.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace ExpertsAtHand.Benchmarks;

internal sealed record WorkLogged(int Minutes);

/// <summary>
/// Commands through the event store against single-row inserts, and async catch-up against a raw
/// sequential read, on one durable cluster in one process.
/// </summary>
internal static class EventStoreSuite
{
    private const int Writers = 16;
    private const int EventsPerStream = 10;
    private const string Tenant = "bench";

    public static async Task<string> RunAsync(bool quick)
    {
        var duration = TimeSpan.FromSeconds(quick ? 9 : 30);
        var seeded = quick ? 1_000_000 : 2_000_000;

        await using var cluster = await BenchmarkCluster.StartAsync();
        await new MigrationRunner(cluster.DataSource).ApplyAsync(EventStore.EventStore.Migrations);
        await cluster.ExecuteAsync(
            "CREATE TABLE baseline_rows (id bigserial PRIMARY KEY, stream_id uuid NOT NULL, data jsonb NOT NULL);"
            + "CREATE TABLE bench_status (tenant_id text, stream_id uuid, events int NOT NULL, PRIMARY KEY (tenant_id, stream_id));"
            + "CREATE TABLE bench_totals (tenant_id text, stream_id uuid, events bigint NOT NULL, minutes bigint NOT NULL, PRIMARY KEY (tenant_id, stream_id));"
            + "CREATE TABLE bench_daily (tenant_id text, day date, events bigint NOT NULL, minutes bigint NOT NULL, PRIMARY KEY (tenant_id, day));"
            + "CREATE TABLE bench_daily_full (LIKE bench_daily INCLUDING ALL);");

        var options = new EventStoreOptions { Types = new TypeRegistry().Register<WorkLogged>("work-logged") };
        options.InlineProjections.Add(new StatusRow());
        var store = new EventStore.EventStore(cluster.DataSource, options);

        // Appends: alternate baseline and store so drift on a shared machine hits both alike.
        var round = 0;
        Task<double> Baseline(TimeSpan d) => Measure.ThroughputAsync(Writers, d, async (writer, i) =>
        {
            await using var insert = cluster.DataSource.CreateCommand("INSERT INTO baseline_rows (stream_id, data) VALUES ($1, $2)");
            insert.Parameters.Add(new NpgsqlParameter { Value = Guid.NewGuid() });
            insert.Parameters.Add(new NpgsqlParameter { Value = $"{{\"minutes\":{i % 90}}}", NpgsqlDbType = NpgsqlDbType.Jsonb });
            await insert.ExecuteNonQueryAsync();
        });
        Task<double> Commands(TimeSpan d)
        {
            var thisRound = Interlocked.Increment(ref round);
            return Measure.ThroughputAsync(Writers, d, async (writer, i) =>
            {
                var stream = StreamId.For("bench", $"{thisRound}-{writer}-{i / EventsPerStream}");
                await using var session = store.OpenSession(Tenant, new EventMetadata(Guid.NewGuid().ToString(), null, "bench"));
                var current = await session.AggregateStreamAsync(stream, 0, (total, e) => e is WorkLogged w ? total + w.Minutes : total);
                if (current.State < 10_000) // the decision: a stream takes work until its budget is used
                {
                    session.Append("bench", stream, current.Version, new WorkLogged((int)(i % 90) + 1));
                }

                await session.SaveChangesAsync();
            });
        }

        // Both warm up untimed, then take turns three times; each round pairs runs made moments apart
        // and the median round is reported.
        await Baseline(TimeSpan.FromSeconds(1.5));
        await Commands(TimeSpan.FromSeconds(1.5));
        var appendRounds = new List<(double Raw, double Store)>();
        for (var i = 0; i < 3; i++)
        {
            var raw = await Baseline(duration / 3);
            var commands = await Commands(duration / 3);
            appendRounds.Add((raw, commands));
            Console.WriteLine($"append round {i + 1}: store {Measure.Whole(commands)}/s vs raw insert {Measure.Whole(raw)}/s, ratio {Measure.Ratio(commands / raw)}");
        }

        var (baselinePerSecond, appendPerSecond) = appendRounds.OrderBy(r => r.Store / r.Raw).ElementAt(appendRounds.Count / 2);
        Console.WriteLine($"append: median round store {Measure.Whole(appendPerSecond)}/s vs raw insert {Measure.Whole(baselinePerSecond)}/s ({Writers} writers, durable commits)");

        // Catch-up: a raw read of every row's data as text against the daemon rebuilding a projection
        // from them. Both sides run once untimed first (page cache, JIT tiers), then take turns five
        // times; each round's ratio pairs the two runs made moments apart, and the median round counts.
        await SeedAsync(cluster, seeded);
        await cluster.ExecuteAsync("VACUUM ANALYZE eah_events");
        var total = await store.HighWaterMarkAsync();

        // The headline: a simple projection (minutes logged per day), so the figure is the daemon's own
        // reading, decoding and checkpointing. Then, for comparison, a projection writing one row per
        // stream, where PostgreSQL's upserts (about 8 µs a row here) become the larger cost.
        var daily = new MinutesBy<DateOnly>("bench-daily", "bench_daily", "day", "date", e => DateOnly.FromDateTime(e.RecordedAt.UtcDateTime));
        var daemon = new ProjectionDaemon(store, [daily], new ProjectionDaemonOptions());
        await RawReadAsync(cluster);
        await daemon.RebuildAsync(daily.Name);
        var rounds = new List<(double Raw, double Daemon)>();
        for (var i = 0; i < 5; i++)
        {
            var raw = await TimedAsync(() => RawReadAsync(cluster));
            var rebuilt = await RebuildRateAsync(daemon, daily, cluster);
            rounds.Add((raw, rebuilt));
            Console.WriteLine($"catch-up round {i + 1}: daemon {Measure.Whole(rebuilt)}/s vs raw read {Measure.Whole(raw)}/s, ratio {Measure.Ratio(rebuilt / raw)}");
        }

        var median = rounds.OrderBy(r => r.Daemon / r.Raw).ElementAt(rounds.Count / 2);
        Console.WriteLine($"catch-up: {total:N0} events rebuilt into daily totals, median round daemon {Measure.Whole(median.Daemon)}/s vs raw read {Measure.Whole(median.Raw)}/s");

        // The same projection asking for every envelope part (stream type, correlation, causation, actor).
        var dailyFull = new MinutesBy<DateOnly>("bench-daily-full", "bench_daily_full", "day", "date", e => DateOnly.FromDateTime(e.RecordedAt.UtcDateTime), EnvelopeParts.All);
        var dailyFullDaemon = new ProjectionDaemon(store, [dailyFull], new ProjectionDaemonOptions());
        await dailyFullDaemon.RebuildAsync(dailyFull.Name);
        var fullPerSecond = await RebuildRateAsync(dailyFullDaemon, dailyFull, cluster);
        Console.WriteLine($"catch-up into daily totals reading the whole envelope: {Measure.Whole(fullPerSecond)}/s, ratio {Measure.Ratio(fullPerSecond / median.Raw)}");

        var perStream = new MinutesBy<Guid>("bench-totals", "bench_totals", "stream_id", "uuid", e => e.StreamId);
        var perStreamDaemon = new ProjectionDaemon(store, [perStream], new ProjectionDaemonOptions());
        var perStreamPerSecond = await RebuildRateAsync(perStreamDaemon, perStream, cluster);
        Console.WriteLine($"catch-up into one row per stream ({total / EventsPerStream:N0} rows): {Measure.Whole(perStreamPerSecond)}/s, ratio {Measure.Ratio(perStreamPerSecond / median.Raw)}");

        return $"eventstore append_ratio={Measure.Ratio(appendPerSecond / baselinePerSecond)} rebuild_ratio={Measure.Ratio(median.Daemon / median.Raw)} "
               + $"append_per_s={Measure.Whole(appendPerSecond)} rebuild_per_s={Measure.Whole(median.Daemon)}";
    }

    /// <summary>Items per second of <paramref name="run"/>, which returns how many items it handled.</summary>
    private static async Task<double> TimedAsync(Func<Task<long>> run)
    {
        var stopwatch = Stopwatch.StartNew();
        var items = await run();
        return items / stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Events per second of a rebuild of <paramref name="projection"/>, counted from the rebuilt table:
    /// a rebuild that skipped any would show here.
    /// </summary>
    private static async Task<double> RebuildRateAsync<TKey>(ProjectionDaemon daemon, MinutesBy<TKey> projection, BenchmarkCluster cluster)
        where TKey : notnull =>
        await TimedAsync(async () =>
        {
            await daemon.RebuildAsync(projection.Name);
            await using var command = cluster.DataSource.CreateCommand($"SELECT coalesce(sum(events), 0)::bigint FROM {projection.Table}");
            return (long)(await command.ExecuteScalarAsync())!;
        });

    private static async Task SeedAsync(BenchmarkCluster cluster, int events)
    {
        const int PerTransaction = 100_000;
        var recordedAt = DateTimeOffset.UtcNow;
        for (var start = 0; start < events; start += PerTransaction)
        {
            await using var connection = await cluster.DataSource.OpenConnectionAsync();
            await using var importer = await connection.BeginBinaryImportAsync(
                "COPY eah_events (tenant_id, stream_id, version, stream_type, event_type, data, correlation_id, actor, recorded_at) FROM STDIN (FORMAT BINARY)");
            for (var n = start; n < Math.Min(events, start + PerTransaction); n++)
            {
                await importer.StartRowAsync();
                await importer.WriteAsync(Tenant, NpgsqlDbType.Text);
                await importer.WriteAsync(StreamId.For("seed", (n / EventsPerStream).ToString(System.Globalization.CultureInfo.InvariantCulture)), NpgsqlDbType.Uuid);
                await importer.WriteAsync((long)(n % EventsPerStream) + 1, NpgsqlDbType.Bigint);
                await importer.WriteAsync("bench", NpgsqlDbType.Text);
                await importer.WriteAsync("work-logged", NpgsqlDbType.Text);
                await importer.WriteAsync($"{{\"minutes\":{(n % 90) + 1}}}", NpgsqlDbType.Jsonb);
                await importer.WriteAsync($"{n / EventsPerStream:x8}-request", NpgsqlDbType.Text); // as the service writes them: a correlation id and who acted
                await importer.WriteAsync($"practitioner-{n % 400}", NpgsqlDbType.Text);
                await importer.WriteAsync(recordedAt.AddSeconds(n * 30), NpgsqlDbType.TimestampTz);
            }

            await importer.CompleteAsync();
        }
    }

    private static async Task<long> RawReadAsync(BenchmarkCluster cluster)
    {
        await using var command = cluster.DataSource.CreateCommand("SELECT seq, data::text FROM eah_events ORDER BY seq");
        command.CommandTimeout = 0;
        await using var reader = await command.ExecuteReaderAsync();
        long rows = 0;
        long characters = 0;
        while (await reader.ReadAsync())
        {
            rows++;
            characters += reader.GetString(1).Length;
        }

        return characters > 0 ? rows : 0;
    }

    private sealed class StatusRow : IInlineProjection
    {
        public void Project(IReadOnlyList<UncommittedEvent> events, CommandBatch batch)
        {
            foreach (var e in events)
            {
                batch.Add(
                    "INSERT INTO bench_status VALUES ($1, $2, 1) ON CONFLICT (tenant_id, stream_id) DO UPDATE SET events = bench_status.events + 1",
                    e.TenantId,
                    e.StreamId);
            }
        }
    }

    /// <summary>Events and minutes logged per tenant and key, folded in memory and written with one set-based upsert a batch.</summary>
    private sealed class MinutesBy<TKey>(string name, string table, string keyColumn, string keyType, Func<StoredEvent, TKey> keyOf, EnvelopeParts envelope = EnvelopeParts.None) : IAsyncProjection
        where TKey : notnull
    {
        public string Name => name;
        public string Table => table;
        public IReadOnlySet<Type> EventTypes { get; } = new HashSet<Type> { typeof(WorkLogged) };
        public EnvelopeParts Envelope => envelope;

        public ValueTask ApplyAsync(IReadOnlyList<StoredEvent> events, ProjectionContext context, CancellationToken cancellationToken)
        {
            var folded = new Dictionary<(string Tenant, TKey Key), (long Events, long Minutes)>();
            foreach (var e in events)
            {
                var key = (e.TenantId, keyOf(e));
                var current = folded.GetValueOrDefault(key);
                folded[key] = (current.Events + 1, current.Minutes + ((WorkLogged)e.Data).Minutes);
            }

            context.Batch.Add(
                $"INSERT INTO {table} SELECT * FROM unnest($1::text[], $2::{keyType}[], $3::bigint[], $4::bigint[]) "
                + $"ON CONFLICT (tenant_id, {keyColumn}) DO UPDATE SET events = {table}.events + EXCLUDED.events, minutes = {table}.minutes + EXCLUDED.minutes",
                folded.Keys.Select(k => k.Tenant).ToArray(),
                folded.Keys.Select(k => k.Key).ToArray(),
                folded.Values.Select(v => v.Events).ToArray(),
                folded.Values.Select(v => v.Minutes).ToArray());
            return ValueTask.CompletedTask;
        }

        public ValueTask ResetAsync(ProjectionContext context, CancellationToken cancellationToken)
        {
            context.Batch.Add($"TRUNCATE {table}");
            return ValueTask.CompletedTask;
        }
    }
}
