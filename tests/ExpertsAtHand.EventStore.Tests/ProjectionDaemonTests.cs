using ExpertsAtHand.Testing;
using Npgsql;

namespace ExpertsAtHand.EventStore.Tests;

public sealed class ProjectionDaemonTests
{
    private const string Tenant = "area-a";
    private static readonly ProjectionDaemonOptions Fast = new() { BatchSize = 10, MaxBatchSize = 10, PollInterval = TimeSpan.FromMilliseconds(20), TakeoverInterval = TimeSpan.FromMilliseconds(100) };

    [Fact]
    public async Task An_event_whose_transaction_commits_late_is_still_projected_once_and_in_commit_order()
    {
        var (database, store) = await CreateAsync();
        await using var _ = database;
        var ledger = new Ledger();
        var daemon = new ProjectionDaemon(store, [ledger], Fast);

        // A slow writer takes its position first but commits last.
        await using var slow = await database.DataSource.OpenConnectionAsync();
        await using var slowTransaction = await slow.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO eah_events (tenant_id, stream_id, version, stream_type, event_type, data, recorded_at) VALUES ('area-a', gen_random_uuid(), 1, 'counter', 'counted', '{\"amount\": 1}', now())",
            slow,
            slowTransaction))
        {
            await insert.ExecuteNonQueryAsync();
        }

        await store.AppendAsync(Tenant, Guid.NewGuid(), 0, new Counted(2));
        await store.AppendAsync(Tenant, Guid.NewGuid(), 0, new Counted(3));

        Assert.Equal(0, await daemon.ApplyAvailableAsync(ledger.Name)); // the faster commits wait behind the open transaction

        await slowTransaction.CommitAsync();
        Assert.Equal(3, await daemon.CatchUpAsync(ledger.Name));

        Assert.Equal([1, 2, 3], await Ledger.AmountsInApplyOrderAsync(database));
        Assert.Equal(0, await daemon.CatchUpAsync(ledger.Name));
    }

    [Fact]
    public async Task A_daemon_killed_in_the_middle_of_a_batch_loses_and_repeats_nothing_when_it_restarts()
    {
        var (database, store) = await CreateAsync();
        await using var _ = database;
        for (var i = 1; i <= 45; i++)
        {
            await store.AppendAsync(Tenant, Guid.NewGuid(), 0, new Counted(i));
        }

        // The third batch writes half its rows, then its backend is killed, as if the node died.
        var crashing = new Ledger { CrashOnBatch = 3 };
        await using (var daemon = new ProjectionDaemon(store, [crashing], Fast))
        {
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => daemon.CatchUpAsync(crashing.Name));
        }

        // What survived is exactly what the checkpoint covers: the killed batch's half-written rows rolled
        // back with it. (Batches may hold fewer than ten events: tests running alongside in the same
        // cluster hold the commit horizon back for a moment.)
        var checkpoint = await database.ScalarAsync<long>("SELECT last_seq FROM eah_projection_progress WHERE name = 'ledger'");
        var survived = await database.ScalarAsync<long>("SELECT count(*) FROM ledger");
        Assert.Equal(await database.ScalarAsync<long>($"SELECT count(*) FROM eah_events WHERE seq <= {checkpoint}"), survived);
        Assert.InRange(survived, 2, 44);

        var restarted = new ProjectionDaemon(store, [new Ledger()], Fast);
        restarted.Start();
        await WaitUntilAsync(async () => await database.ScalarAsync<long>("SELECT count(*) FROM ledger") == 45);
        await restarted.StopAsync();

        Assert.Equal(Enumerable.Range(1, 45), await Ledger.AmountsInApplyOrderAsync(database));
    }

    [Fact]
    public async Task Two_nodes_never_run_one_projection_at_once_and_the_survivor_takes_over()
    {
        var (database, store) = await CreateAsync();
        await using var _ = database;
        var overlap = new OverlapDetector();
        var nodeA = new ProjectionDaemon(store, [new Ledger { Overlap = overlap, Node = "a" }], Fast);
        var nodeB = new ProjectionDaemon(store, [new Ledger { Overlap = overlap, Node = "b" }], Fast);
        nodeA.Start();
        nodeB.Start();

        for (var i = 1; i <= 150; i++)
        {
            await store.AppendAsync(Tenant, Guid.NewGuid(), 0, new Counted(i));
        }

        await WaitUntilAsync(async () => await database.ScalarAsync<long>("SELECT count(*) FROM ledger") == 150);
        var owner = await database.ScalarAsync<string>("SELECT min(node) FROM ledger");
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(DISTINCT node) FROM ledger"));

        // The owner goes away; the other node must notice and carry on.
        await (owner == "a" ? nodeA : nodeB).StopAsync();
        for (var i = 151; i <= 200; i++)
        {
            await store.AppendAsync(Tenant, Guid.NewGuid(), 0, new Counted(i));
        }

        await WaitUntilAsync(async () => await database.ScalarAsync<long>("SELECT count(*) FROM ledger") == 200);
        await nodeA.StopAsync();
        await nodeB.StopAsync();

        Assert.Equal(0, overlap.Violations);
        Assert.Equal(Enumerable.Range(1, 200), await Ledger.AmountsInApplyOrderAsync(database));
        Assert.Equal(2L, await database.ScalarAsync<long>("SELECT count(DISTINCT node) FROM ledger"));
    }

    [Fact]
    public async Task A_rebuilt_projection_equals_the_live_one_and_reports_its_progress()
    {
        var (database, store) = await CreateAsync();
        await using var _ = database;
        var totals = new StreamTotals();
        var daemon = new ProjectionDaemon(store, [totals], Fast);
        daemon.Start();
        var streams = Enumerable.Range(0, 12).Select(_ => Guid.NewGuid()).ToArray();
        for (var i = 0; i < 120; i++)
        {
            await store.AppendAsync(Tenant, streams[i % streams.Length], (i / streams.Length) * 2, new Counted(i), new Noted("skipped by the projection"));
        }

        await WaitUntilAsync(async () => (await daemon.StatusAsync()).Single().Lag == 0);
        var live = await StreamTotals.SnapshotAsync(database);

        var reports = new List<ProjectionProgress>();
        await daemon.RebuildAsync(totals.Name, new Progress(reports));
        var rebuilt = await StreamTotals.SnapshotAsync(database);
        await daemon.StopAsync();

        Assert.Equal(12, live.Count);
        Assert.Equal(live, rebuilt);
        Assert.Equal(240, reports[^1].Processed);
        Assert.Equal(240, reports[^1].Total);
    }

    [Fact]
    public async Task A_projection_started_after_downtime_catches_up_from_its_checkpoint()
    {
        var (database, store) = await CreateAsync();
        await using var _ = database;
        var daemon = new ProjectionDaemon(store, [new Ledger()], Fast);
        for (var i = 1; i <= 25; i++)
        {
            await store.AppendAsync(Tenant, Guid.NewGuid(), 0, new Counted(i));
        }

        Assert.Equal(25, await daemon.CatchUpAsync("ledger"));
        for (var i = 26; i <= 30; i++)
        {
            await store.AppendAsync(Tenant, Guid.NewGuid(), 0, new Counted(i));
        }

        var status = (await daemon.StatusAsync()).Single();
        Assert.Equal(5, status.Lag);

        daemon.Start();
        await WaitUntilAsync(async () => (await daemon.StatusAsync()).Single().Lag == 0);
        await daemon.StopAsync();
        Assert.Equal(Enumerable.Range(1, 30), await Ledger.AmountsInApplyOrderAsync(database));
    }

    [Fact]
    public async Task A_point_in_time_replay_sees_only_its_tenants_events_recorded_before_the_cut_and_leaves_the_live_model_alone()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 10, 1, 9, 0, 0, TimeSpan.Zero));
        var (database, store) = await CreateAsync(clock);
        await using var _ = database;
        var stream = Guid.NewGuid();
        await store.AppendAsync(Tenant, stream, 0, new Counted(1), new Counted(2));
        await store.AppendAsync("area-b", Guid.NewGuid(), 0, new Counted(100));
        var cut = clock.GetUtcNow().AddHours(1);
        clock.Advance(TimeSpan.FromDays(1));
        await store.AppendAsync(Tenant, stream, 2, new Counted(4));
        var daemon = new ProjectionDaemon(store, [new StreamTotals()], Fast);
        Assert.Equal(4, await daemon.CatchUpAsync("stream-totals"));

        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var shadow = new NpgsqlCommand("CREATE TEMP TABLE stream_totals (LIKE public.stream_totals INCLUDING ALL) ON COMMIT DROP", connection, transaction))
        {
            await shadow.ExecuteNonQueryAsync();
        }

        var replay = await daemon.ReplayAsync([new StreamTotals()], connection, transaction, Tenant, cut);
        await using var read = new NpgsqlCommand("SELECT tenant_id, total, events FROM stream_totals", connection, transaction);
        await using (var reader = await read.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal((Tenant, 3L, 2), (reader.GetString(0), reader.GetInt64(1), reader.GetInt32(2)));
            Assert.False(await reader.ReadAsync());
        }

        await transaction.RollbackAsync();
        Assert.Equal(2, replay.EventsApplied);
        Assert.Equal(2, replay.LastEventPosition); // area-a holds positions 1 and 2 before the cut; area-b 3, the later append 4
        Assert.Equal([(stream, 7L, 3)], (await StreamTotals.SnapshotAsync(database)).Where(r => r.Item1 == stream));
    }

    [Fact]
    public async Task A_projection_is_sent_the_envelope_parts_it_asks_for_and_the_rest_arrive_empty()
    {
        var (database, store) = await CreateAsync();
        await using var _ = database;
        var stream = Guid.NewGuid();
        await using (var session = store.OpenSession(Tenant, new EventMetadata("correlation-1", "cause-1", "coordinator-7")))
        {
            session.Append("counter", stream, 0, new Counted(1), new Counted(2));
            await session.SaveChangesAsync();
        }

        var everything = new Recorder("everything", EnvelopeParts.All);
        var metadataOnly = new Recorder("metadata-only", EnvelopeParts.Metadata);
        var bare = new Recorder("bare", EnvelopeParts.None);
        var daemon = new ProjectionDaemon(store, [everything, metadataOnly, bare], Fast);
        foreach (var recorder in new[] { everything, metadataOnly, bare })
        {
            Assert.Equal(2, await daemon.CatchUpAsync(recorder.Name));
        }

        Assert.All(everything.Events, e => Assert.Equal(("counter", new EventMetadata("correlation-1", "cause-1", "coordinator-7")), (e.StreamType, e.Metadata)));
        Assert.All(metadataOnly.Events, e => Assert.Equal((string.Empty, new EventMetadata("correlation-1", "cause-1", "coordinator-7")), (e.StreamType, e.Metadata)));
        Assert.All(bare.Events, e => Assert.Equal((string.Empty, EventMetadata.None), (e.StreamType, e.Metadata)));

        // Everything else about each event is the same whatever the envelope.
        var core = everything.Events.Select(e => (e.Sequence, e.TenantId, e.StreamId, e.Version, e.EventType, e.Data, e.RecordedAt)).ToList();
        Assert.Equal([1L, 2L], core.Select(e => e.Version));
        Assert.Equal([new Counted(1), new Counted(2)], core.Select(e => e.Data));
        Assert.Equal(core, metadataOnly.Events.Select(e => (e.Sequence, e.TenantId, e.StreamId, e.Version, e.EventType, e.Data, e.RecordedAt)));
        Assert.Equal(core, bare.Events.Select(e => (e.Sequence, e.TenantId, e.StreamId, e.Version, e.EventType, e.Data, e.RecordedAt)));

        // A replay through several projections reads what any of them asks for.
        var replayedBare = new Recorder("bare", EnvelopeParts.None);
        var replayedStreamType = new Recorder("stream-type", EnvelopeParts.StreamType);
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await daemon.ReplayAsync([replayedBare, replayedStreamType], connection, transaction, Tenant, DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.All(replayedStreamType.Events, e => Assert.Equal(("counter", EventMetadata.None), (e.StreamType, e.Metadata)));
        Assert.Equal(2, replayedBare.Events.Count);
    }

    private static async Task<(TestDatabase, EventStore)> CreateAsync(TimeProvider? clock = null)
    {
        var (database, store) = await TestStore.CreateAsync(clock: clock);
        await database.ExecuteAsync(
            "CREATE TABLE ledger (applied_order bigserial, seq bigint NOT NULL, amount int NOT NULL, node text);"
            + "CREATE TABLE stream_totals (tenant_id text, stream_id uuid, total bigint, events int, PRIMARY KEY (tenant_id, stream_id));");
        return (database, store);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 600; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail("condition not met within 30 s");
    }

    private sealed class Progress(List<ProjectionProgress> reports) : IProgress<ProjectionProgress>
    {
        public void Report(ProjectionProgress value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }

    private sealed class OverlapDetector
    {
        private int _active;
        public int Violations;

        public async Task RunAsync(Func<Task> work)
        {
            if (Interlocked.Increment(ref _active) > 1)
            {
                Interlocked.Increment(ref Violations);
            }

            try
            {
                await Task.Delay(2);
                await work();
            }
            finally
            {
                Interlocked.Decrement(ref _active);
            }
        }
    }

    /// <summary>Records every event it applies, without a key, so a duplicate would show as an extra row.</summary>
    private sealed class Ledger : IAsyncProjection
    {
        private int _batches;

        public int CrashOnBatch { get; init; }
        public OverlapDetector? Overlap { get; init; }
        public string? Node { get; init; }
        public string Name => "ledger";
        public IReadOnlySet<Type> EventTypes { get; } = new HashSet<Type> { typeof(Counted) };

        public async ValueTask ApplyAsync(IReadOnlyList<StoredEvent> events, ProjectionContext context, CancellationToken cancellationToken)
        {
            var batch = ++_batches;
            async Task Write()
            {
                foreach (var (e, index) in events.Select((e, i) => (e, i)))
                {
                    if (batch == CrashOnBatch && index == events.Count / 2)
                    {
                        await using var killer = new NpgsqlConnection(context.Connection.ConnectionString);
                        await killer.OpenAsync(cancellationToken);
                        await using var terminate = new NpgsqlCommand($"SELECT pg_terminate_backend({context.Connection.ProcessID}, 10000)", killer);
                        await terminate.ExecuteNonQueryAsync(cancellationToken);
                    }

                    await using var insert = new NpgsqlCommand("INSERT INTO ledger (seq, amount, node) VALUES ($1, $2, $3)", context.Connection, context.Transaction);
                    insert.Parameters.Add(new NpgsqlParameter { Value = e.Sequence });
                    insert.Parameters.Add(new NpgsqlParameter { Value = ((Counted)e.Data).Amount });
                    insert.Parameters.Add(new NpgsqlParameter { Value = (object?)Node ?? DBNull.Value });
                    await insert.ExecuteNonQueryAsync(cancellationToken);
                }
            }

            if (Overlap is not null)
            {
                await Overlap.RunAsync(Write);
            }
            else
            {
                await Write();
            }
        }

        public ValueTask ResetAsync(ProjectionContext context, CancellationToken cancellationToken)
        {
            context.Batch.Add("TRUNCATE ledger");
            return ValueTask.CompletedTask;
        }

        public static async Task<List<int>> AmountsInApplyOrderAsync(TestDatabase database)
        {
            var amounts = new List<int>();
            await using var command = database.DataSource.CreateCommand("SELECT amount FROM ledger ORDER BY applied_order");
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                amounts.Add(reader.GetInt32(0));
            }

            return amounts;
        }
    }

    /// <summary>Keeps every event it is sent, as sent.</summary>
    private sealed class Recorder(string name, EnvelopeParts envelope) : IAsyncProjection
    {
        public List<StoredEvent> Events { get; } = [];
        public string Name => name;
        public IReadOnlySet<Type> EventTypes { get; } = new HashSet<Type> { typeof(Counted) };
        public EnvelopeParts Envelope => envelope;

        public ValueTask ApplyAsync(IReadOnlyList<StoredEvent> events, ProjectionContext context, CancellationToken cancellationToken)
        {
            Events.AddRange(events);
            return ValueTask.CompletedTask;
        }

        public ValueTask ResetAsync(ProjectionContext context, CancellationToken cancellationToken)
        {
            Events.Clear();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class StreamTotals : IAsyncProjection
    {
        public string Name => "stream-totals";
        public IReadOnlySet<Type> EventTypes { get; } = new HashSet<Type> { typeof(Counted) };

        public ValueTask ApplyAsync(IReadOnlyList<StoredEvent> events, ProjectionContext context, CancellationToken cancellationToken)
        {
            foreach (var e in events)
            {
                context.Batch.Add(
                    "INSERT INTO stream_totals VALUES ($1, $2, $3, 1) ON CONFLICT (tenant_id, stream_id) DO UPDATE SET total = stream_totals.total + EXCLUDED.total, events = stream_totals.events + 1",
                    e.TenantId,
                    e.StreamId,
                    (long)((Counted)e.Data).Amount);
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask ResetAsync(ProjectionContext context, CancellationToken cancellationToken)
        {
            context.Batch.Add("TRUNCATE stream_totals");
            return ValueTask.CompletedTask;
        }

        public static async Task<List<(Guid, long, int)>> SnapshotAsync(TestDatabase database)
        {
            var rows = new List<(Guid, long, int)>();
            await using var command = database.DataSource.CreateCommand("SELECT stream_id, total, events FROM stream_totals ORDER BY stream_id");
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetGuid(0), reader.GetInt64(1), reader.GetInt32(2)));
            }

            return rows;
        }
    }
}
