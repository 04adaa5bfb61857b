using System.Diagnostics;
using ExpertsAtHand.Infrastructure;
using JasperFx.Events;
using JasperFx.Events.Projections;
using JasperFx.MultiTenancy;
using Marten;
using Marten.Events.Projections;
using Npgsql;
using NpgsqlTypes;
using Weasel.Core;

namespace ExpertsAtHand.Benchmarks;

internal sealed record WorkLogged(int Minutes);

/// <summary>A command's event with a free text about the child, as a triage rationale or a closing note is.</summary>
internal sealed record NoteLogged(int Minutes, string Note);

/// <summary>
/// The service's command path on Marten (read the stream, decide, append, an inline read-model row)
/// against single-row inserts, and Marten's async daemon rebuilding a projection against a raw
/// sequential read of the same events, on one durable cluster in one process.
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
        await cluster.ExecuteAsync(
            "CREATE TABLE baseline_rows (id bigserial PRIMARY KEY, stream_id uuid NOT NULL, data jsonb NOT NULL);"
            + "CREATE TABLE bench_status (tenant_id text, stream_id uuid, events int NOT NULL, PRIMARY KEY (tenant_id, stream_id));"
            + "CREATE TABLE bench_daily (tenant_id text, day date, events bigint NOT NULL, minutes bigint NOT NULL, PRIMARY KEY (tenant_id, day));"
            + "CREATE TABLE bench_keys (key_id uuid PRIMARY KEY, wrapped bytea NOT NULL, created_at timestamptz NOT NULL);");
        await using var store = DocumentStore.For(options =>
        {
            // As the service configures its store (MartenAndWolverine): conjoined tenancy, rich appends, our clock, metadata.
            options.Connection(cluster.DataSource);
            options.Events.TenancyStyle = TenancyStyle.Conjoined;
            options.Events.StreamIdentity = StreamIdentity.AsGuid;
            // The service appends in rich mode (each event stamped by our clock); EAH_BENCH_APPEND=quick
            // measures Marten's quick append for comparison, the lever the service cannot use.
            options.Events.AppendMode = Environment.GetEnvironmentVariable("EAH_BENCH_APPEND") == "quick" ? EventAppendMode.Quick : EventAppendMode.Rich;
            options.Events.MetadataConfig.CorrelationIdEnabled = true;
            options.Events.MetadataConfig.UserNameEnabled = true;
            options.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);
            options.Events.MapEventType<WorkLogged>("work-logged");
            options.Events.MapEventType<NoteLogged>("note-logged");
            options.Projections.Add(new StatusRow(), ProjectionLifecycle.Inline, "bench-status");
            var daily = new ProjectionWrapper<IDocumentOperations, IQuerySession>(new DailyMinutes(), ProjectionLifecycle.Async) { Name = "bench-daily" };
            daily.IncludeType<WorkLogged>();
            daily.Options.BatchSize = int.TryParse(Environment.GetEnvironmentVariable("EAH_BENCH_BATCH"), out var batch) ? batch : 5_000;
            daily.Options.DeleteDataInTableOnTeardown("bench_daily");
            options.Projections.Add(daily, ProjectionLifecycle.Async);
        });
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();

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
                await using var session = store.LightweightSession(Tenant);
                session.CorrelationId = Guid.NewGuid().ToString();
                session.LastModifiedBy = "bench";
                var events = await session.Events.FetchStreamAsync(stream);
                var total = events.Sum(e => e.Data is WorkLogged w ? w.Minutes : 0);
                if (total < 10_000) // the decision: a stream takes work until its budget is used
                {
                    var logged = new WorkLogged((int)(i % 90) + 1);
                    var action = events.Count == 0 ? session.Events.StartStream(stream, logged) : session.Events.Append(stream, events.Count + 1, logged);
                    action.Events[0].Timestamp = DateTimeOffset.UtcNow; // the service stamps every event by its own clock
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
            Console.WriteLine($"append round {i + 1}: Marten {Measure.Whole(commands)}/s vs raw insert {Measure.Whole(raw)}/s, ratio {Measure.Ratio(commands / raw)}");
        }

        var (baselinePerSecond, appendPerSecond) = appendRounds.OrderBy(r => r.Store / r.Raw).ElementAt(appendRounds.Count / 2);
        Console.WriteLine($"append ({store.Options.Events.AppendMode} mode): median round Marten {Measure.Whole(appendPerSecond)}/s vs raw insert {Measure.Whole(baselinePerSecond)}/s ({Writers} writers, durable commits)");

        // Sealing: the same command path with a note in every event, stored as typed or sealed with the
        // child's key as the service does (the key row written when a stream starts, as a raise writes
        // it; every earlier note opened, as the answer's view does; the new note sealed).
        var key = new ExpertsAtHand.Service.Features.Privacy.DataKey(Guid.NewGuid(), System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var ring = new ExpertsAtHand.Service.Features.Privacy.KeyRing([key]);
        Task<double> Noted(TimeSpan d, bool seal)
        {
            var thisRound = Interlocked.Increment(ref round);
            return Measure.ThroughputAsync(Writers, d, async (writer, i) =>
            {
                var stream = StreamId.For("note", $"{thisRound}-{writer}-{i / EventsPerStream}");
                await using var session = store.LightweightSession(Tenant);
                session.LastModifiedBy = "bench";
                var events = await session.Events.FetchStreamAsync(stream);
                var read = events.Select(e => e.Data is NoteLogged n ? (seal ? ExpertsAtHand.Service.Features.Privacy.SealedText.Open(n.Note, ring) : n.Note) : string.Empty).Sum(n => n.Length);
                var note = $"Accepted for a consultation: the setting has run two assess-plan-do-review cycles and the child's language has not moved ({i}, {read}).";
                var logged = new NoteLogged((int)(i % 90) + 1, seal ? ExpertsAtHand.Service.Features.Privacy.SealedText.Seal(note, key) : note);
                if (events.Count == 0 && seal)
                {
                    await using var insert = cluster.DataSource.CreateCommand("INSERT INTO bench_keys (key_id, wrapped, created_at) VALUES ($1, $2, now())");
                    insert.Parameters.Add(new NpgsqlParameter { Value = Guid.CreateVersion7() });
                    insert.Parameters.Add(new NpgsqlParameter { Value = System.Security.Cryptography.RandomNumberGenerator.GetBytes(60) });
                    await insert.ExecuteNonQueryAsync();
                }

                var action = events.Count == 0 ? session.Events.StartStream(stream, logged) : session.Events.Append(stream, events.Count + 1, logged);
                action.Events[0].Timestamp = DateTimeOffset.UtcNow;
                await session.SaveChangesAsync();
            });
        }

        await Noted(TimeSpan.FromSeconds(1), seal: false);
        await Noted(TimeSpan.FromSeconds(1), seal: true);
        var sealRounds = new List<(double Plain, double Sealed)>();
        for (var i = 0; i < 3; i++)
        {
            var plain = await Noted(duration / 3, seal: false);
            var sealedRate = await Noted(duration / 3, seal: true);
            sealRounds.Add((plain, sealedRate));
            Console.WriteLine($"sealing round {i + 1}: sealed {Measure.Whole(sealedRate)}/s vs plain {Measure.Whole(plain)}/s, cost {(1 - (sealedRate / plain)) * 100:0.0}%");
        }

        var (plainPerSecond, sealedPerSecond) = sealRounds.OrderBy(r => r.Sealed / r.Plain).ElementAt(sealRounds.Count / 2);

        // Catch-up: a raw read of every event's data against Marten's daemon rebuilding a daily-totals
        // projection from them. Both run once untimed first (page cache, JIT tiers), then take turns
        // five times; each round's ratio pairs two runs made moments apart, and the median round counts.
        var seeder = await LogSeeder.StartAsync(cluster.DataSource, store, _ => "work-logged");
        await using (seeder)
        {
            var recordedAt = DateTimeOffset.UtcNow;
            for (var n = 0; n < seeded; n++)
            {
                await seeder.WriteAsync(Tenant, StreamId.For("seed", (n / EventsPerStream).ToString(System.Globalization.CultureInfo.InvariantCulture)), (n % EventsPerStream) + 1, new WorkLogged((n % 90) + 1), recordedAt.AddSeconds(n * 30));
            }
        }

        var total = await ScalarAsync(cluster, "SELECT count(*) FROM mt_events");
        var daemon = await store.BuildProjectionDaemonAsync();
        await RawReadAsync(cluster);
        await RebuildRateAsync(daemon, cluster);
        var rounds = new List<(double Raw, double Daemon)>();
        for (var i = 0; i < 5; i++)
        {
            var raw = await TimedAsync(() => RawReadAsync(cluster));
            var rebuilt = await RebuildRateAsync(daemon, cluster);
            rounds.Add((raw, rebuilt));
            Console.WriteLine($"catch-up round {i + 1}: Marten daemon {Measure.Whole(rebuilt)}/s vs raw read {Measure.Whole(raw)}/s, ratio {Measure.Ratio(rebuilt / raw)}");
        }

        var median = rounds.OrderBy(r => r.Daemon / r.Raw).ElementAt(rounds.Count / 2);
        Console.WriteLine($"catch-up: {total:N0} events rebuilt into daily totals, median round daemon {Measure.Whole(median.Daemon)}/s vs raw read {Measure.Whole(median.Raw)}/s");

        return $"eventstore append_ratio={Measure.Ratio(appendPerSecond / baselinePerSecond)} rebuild_ratio={Measure.Ratio(median.Daemon / median.Raw)} "
               + $"append_per_s={Measure.Whole(appendPerSecond)} rebuild_per_s={Measure.Whole(median.Daemon)} "
               + $"sealing_cost={(1 - (sealedPerSecond / plainPerSecond)) * 100:0.0}% sealed_per_s={Measure.Whole(sealedPerSecond)} plain_per_s={Measure.Whole(plainPerSecond)}";
    }

    /// <summary>Items per second of <paramref name="run"/>, which returns how many items it handled.</summary>
    private static async Task<double> TimedAsync(Func<Task<long>> run)
    {
        var stopwatch = Stopwatch.StartNew();
        var items = await run();
        return items / stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>Events per second of Marten's rebuild, counted from the rebuilt table: a rebuild that skipped any would show here.</summary>
    private static async Task<double> RebuildRateAsync(JasperFx.Events.Daemon.IProjectionDaemon daemon, BenchmarkCluster cluster) =>
        await TimedAsync(async () =>
        {
            await daemon.RebuildProjectionAsync("bench-daily", TimeSpan.FromMinutes(30), CancellationToken.None);
            return await ScalarAsync(cluster, "SELECT coalesce(sum(events), 0)::bigint FROM bench_daily");
        });

    private static async Task<long> ScalarAsync(BenchmarkCluster cluster, string sql)
    {
        await using var command = cluster.DataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<long> RawReadAsync(BenchmarkCluster cluster)
    {
        await using var command = cluster.DataSource.CreateCommand("SELECT seq_id, data::text FROM mt_events ORDER BY seq_id");
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

    /// <summary>The inline read-model row a command keeps, as the service's request view does.</summary>
    private sealed class StatusRow : IProjection
    {
        public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
        {
            foreach (var e in events)
            {
                operations.QueueSqlCommand(
                    "INSERT INTO bench_status VALUES (?, ?, 1) ON CONFLICT (tenant_id, stream_id) DO UPDATE SET events = bench_status.events + 1",
                    e.TenantId,
                    e.StreamId);
            }

            return Task.CompletedTask;
        }
    }

    /// <summary>Events and minutes logged per area and day, folded in memory and written with one set-based upsert a batch.</summary>
    private sealed class DailyMinutes : IProjection
    {
        public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
        {
            var folded = new Dictionary<(string Tenant, DateOnly Day), (long Events, long Minutes)>();
            foreach (var e in events)
            {
                var key = (e.TenantId, DateOnly.FromDateTime(e.Timestamp.UtcDateTime));
                var current = folded.GetValueOrDefault(key);
                folded[key] = (current.Events + 1, current.Minutes + ((WorkLogged)e.Data).Minutes);
            }

            operations.QueueSqlCommand(
                "INSERT INTO bench_daily SELECT * FROM unnest(?::text[], ?::date[], ?::bigint[], ?::bigint[]) "
                + "ON CONFLICT (tenant_id, day) DO UPDATE SET events = bench_daily.events + EXCLUDED.events, minutes = bench_daily.minutes + EXCLUDED.minutes",
                folded.Keys.Select(k => k.Tenant).ToArray(),
                folded.Keys.Select(k => k.Day).ToArray(),
                folded.Values.Select(v => v.Events).ToArray(),
                folded.Values.Select(v => v.Minutes).ToArray());
            return Task.CompletedTask;
        }
    }
}
