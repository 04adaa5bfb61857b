using System.Text.Json.Nodes;
using ExpertsAtHand.Testing;
using Npgsql;

namespace ExpertsAtHand.EventStore.Tests;

public sealed class EventStoreTests
{
    private const string Tenant = "area-a";

    [Fact]
    public async Task Appended_events_read_back_in_order_with_their_metadata_and_recorded_time()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 9, 1, 9, 30, 0, TimeSpan.Zero));
        var (database, store) = await TestStore.CreateAsync(clock: clock);
        await using var _ = database;
        var stream = Guid.NewGuid();

        await using (var session = store.OpenSession(Tenant, new EventMetadata("corr-1", "cause-1", "coordinator:42")))
        {
            session.StartStream("counter", stream, new Counted(2), new Noted("first"));
            await session.SaveChangesAsync();
        }

        await using var reader = store.OpenSession(Tenant);
        var events = await reader.ReadStreamAsync(stream);

        Assert.Equal([1L, 2L], events.Select(e => e.Version));
        Assert.Equal(new Counted(2), events[0].Data);
        Assert.Equal(new Noted("first"), events[1].Data);
        Assert.All(events, e => Assert.Equal(new EventMetadata("corr-1", "cause-1", "coordinator:42"), e.Metadata));
        Assert.All(events, e => Assert.Equal(clock.GetUtcNow(), e.RecordedAt));
        Assert.Equal("counted", events[0].EventType);
        Assert.True(events[1].Sequence > events[0].Sequence);
    }

    [Fact]
    public async Task Aggregating_a_stream_folds_it_with_evolve_and_reports_its_version()
    {
        var (database, store) = await TestStore.CreateAsync();
        await using var _ = database;
        var stream = Guid.NewGuid();
        await store.AppendAsync(Tenant, stream, 0, new Counted(2), new Counted(3));
        await store.AppendAsync(Tenant, stream, 2, new Noted("ignored by the fold"), new Counted(5));

        await using var session = store.OpenSession(Tenant);
        var state = await session.AggregateStreamAsync(stream, 0, TestStore.Sum);
        var fromThree = await session.ReadStreamAsync(stream, fromVersion: 3);

        Assert.Equal(10, state.State);
        Assert.Equal(4, state.Version);
        Assert.Equal([3L, 4L], fromThree.Select(e => e.Version));
    }

    [Fact]
    public async Task Concurrent_appends_to_one_stream_have_exactly_one_winner_per_version()
    {
        var (database, store) = await TestStore.CreateAsync();
        await using var _ = database;
        var stream = Guid.NewGuid();
        const int Writers = 16;
        const int Rounds = 15;
        var conflicts = 0;

        for (var round = 0; round < Rounds; round++)
        {
            var expected = (long)round;
            using var start = new ManualResetEventSlim();
            var attempts = Enumerable.Range(0, Writers).Select(writer => Task.Run(async () =>
            {
                start.Wait();
                try
                {
                    await store.AppendAsync(Tenant, stream, expected, new Counted(writer));
                    return true;
                }
                catch (StreamVersionConflictException)
                {
                    Interlocked.Increment(ref conflicts);
                    return false;
                }
            })).ToArray();
            start.Set();
            var outcomes = await Task.WhenAll(attempts);

            Assert.Single(outcomes, won => won);
        }

        await using var session = store.OpenSession(Tenant);
        var events = await session.ReadStreamAsync(stream);
        Assert.Equal(Enumerable.Range(1, Rounds).Select(v => (long)v), events.Select(e => e.Version));
        Assert.Equal(Rounds * (Writers - 1), conflicts);
    }

    [Fact]
    public async Task Appending_from_a_version_the_stream_never_reached_is_a_conflict_and_leaves_no_gap()
    {
        var (database, store) = await TestStore.CreateAsync();
        await using var _ = database;
        var stream = Guid.NewGuid();
        await store.AppendAsync(Tenant, stream, 0, new Counted(1), new Counted(1));

        var error = await Assert.ThrowsAsync<StreamVersionConflictException>(() => store.AppendAsync(Tenant, stream, 5, new Counted(1)));

        Assert.Equal(stream, error.StreamId);
        Assert.Equal(2L, await database.ScalarAsync<long>("SELECT count(*) FROM eah_events"));
    }

    [Fact]
    public async Task Starting_a_stream_that_exists_is_a_conflict()
    {
        var (database, store) = await TestStore.CreateAsync();
        await using var _ = database;
        var stream = Guid.NewGuid();
        await store.AppendAsync(Tenant, stream, 0, new Counted(1));

        await Assert.ThrowsAsync<StreamVersionConflictException>(() => store.AppendAsync(Tenant, stream, 0, new Counted(1)));
    }

    [Fact]
    public async Task Events_for_several_streams_commit_together_or_not_at_all()
    {
        var (database, store) = await TestStore.CreateAsync();
        await using var _ = database;
        var busy = Guid.NewGuid();
        await store.AppendAsync(Tenant, busy, 0, new Counted(1));

        await using (var session = store.OpenSession(Tenant))
        {
            session.StartStream("counter", Guid.NewGuid(), new Counted(1), new Counted(2));
            session.Append("counter", busy, 0, new Counted(3)); // stale: busy is at version 1
            await Assert.ThrowsAsync<StreamVersionConflictException>(() => session.SaveChangesAsync());
        }

        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM eah_events"));
    }

    [Fact]
    public void A_natural_key_maps_to_the_same_stream_id_every_time_and_differs_by_stream_type()
    {
        var first = StreamId.For("setting", "100000");

        Assert.Equal(first, StreamId.For("setting", "100000"));
        Assert.NotEqual(first, StreamId.For("setting", "100001"));
        Assert.NotEqual(first, StreamId.For("practitioner", "100000"));
        Assert.Equal(5, first.Version);
    }

    [Fact]
    public async Task Stored_names_not_class_names_identify_events_so_renamed_classes_still_read()
    {
        var (database, store) = await TestStore.CreateAsync();
        await using var _ = database;
        var stream = Guid.NewGuid();
        await store.AppendAsync(Tenant, stream, 0, new Noted("kept"));

        Assert.Equal("noted", await database.ScalarAsync<string>("SELECT event_type FROM eah_events"));
        Assert.Equal("kept", await database.ScalarAsync<string>("SELECT data->>'text' FROM eah_events"));

        // The same stored name now maps to a different class (as after a rename): the log still reads.
        var renamedStore = new EventStore(database.DataSource, new EventStoreOptions { Types = new TypeRegistry().Register<Renamed>("noted") });
        await using var session = renamedStore.OpenSession(Tenant);
        var events = await session.ReadStreamAsync(stream);
        Assert.IsType<Renamed>(events[0].Data);
    }

    [Fact]
    public async Task An_upcaster_reshapes_events_stored_in_an_old_shape()
    {
        var (database, store) = await TestStore.CreateAsync(options => options.Types.Upcast(
            "note-v1",
            json => new Noted($"{json["title"]}: {json["body"]}")));
        await using var _ = database;
        var stream = Guid.NewGuid();
        await using (var raw = database.DataSource.CreateCommand(
            "INSERT INTO eah_events (tenant_id, stream_id, version, stream_type, event_type, data, recorded_at) VALUES ($1, $2, 1, 'counter', 'note-v1', $3::jsonb, now())"))
        {
            raw.Parameters.Add(new NpgsqlParameter { Value = Tenant });
            raw.Parameters.Add(new NpgsqlParameter { Value = stream });
            raw.Parameters.Add(new NpgsqlParameter { Value = new JsonObject { ["title"] = "Old", ["body"] = "shape" }.ToJsonString() });
            await raw.ExecuteNonQueryAsync();
        }

        await using var session = store.OpenSession(Tenant);
        var events = await session.ReadStreamAsync(stream);

        Assert.Equal(new Noted("Old: shape"), events[0].Data);
    }

    [Fact]
    public async Task One_tenant_can_never_read_or_collide_with_another_tenants_stream()
    {
        var (database, store) = await TestStore.CreateAsync();
        await using var _ = database;
        var stream = Guid.NewGuid();
        await store.AppendAsync("area-a", stream, 0, new Counted(1), new Counted(2));

        await using (var other = store.OpenSession("area-b"))
        {
            Assert.Empty(await other.ReadStreamAsync(stream));
            Assert.False((await other.AggregateStreamAsync(stream, 0, TestStore.Sum)).Exists);
        }

        // Same id in another tenant is another stream, starting at version 1.
        await store.AppendAsync("area-b", stream, 0, new Counted(40));
        await using var mine = store.OpenSession("area-a");
        Assert.Equal(3, (await mine.AggregateStreamAsync(stream, 0, TestStore.Sum)).State);
    }

    [Fact]
    public async Task Inline_projections_commit_with_the_events_and_roll_back_with_a_conflict()
    {
        var (database, store) = await TestStore.CreateAsync(options => options.InlineProjections.Add(new CounterTotals()));
        await using var _ = database;
        await database.ExecuteAsync("CREATE TABLE counter_totals (tenant_id text, stream_id uuid, total int, version bigint, PRIMARY KEY (tenant_id, stream_id))");
        var stream = Guid.NewGuid();

        await store.AppendAsync(Tenant, stream, 0, new Counted(2), new Counted(3));
        Assert.Equal(5, await database.ScalarAsync<int>("SELECT total FROM counter_totals"));

        await Assert.ThrowsAsync<StreamVersionConflictException>(() => store.AppendAsync(Tenant, stream, 1, new Counted(100)));
        Assert.Equal(5, await database.ScalarAsync<int>("SELECT total FROM counter_totals"));
        Assert.Equal(2L, await database.ScalarAsync<long>("SELECT version FROM counter_totals"));
    }

    [Fact]
    public async Task A_projection_may_write_an_instant_with_any_offset_and_the_instant_is_kept()
    {
        var localTime = new DateTimeOffset(2026, 10, 5, 9, 0, 0, TimeSpan.FromHours(1));
        var (database, store) = await TestStore.CreateAsync(options => options.InlineProjections.Add(new WhenSeen(localTime)));
        await using var _ = database;
        await database.ExecuteAsync("CREATE TABLE seen (at timestamptz NOT NULL)");

        await store.AppendAsync(Tenant, Guid.NewGuid(), 0, new Counted(1));

        Assert.Equal(localTime.UtcDateTime, await database.ScalarAsync<DateTime>("SELECT at FROM seen"));
    }

    private sealed class WhenSeen(DateTimeOffset at) : IInlineProjection
    {
        public void Project(IReadOnlyList<UncommittedEvent> events, CommandBatch batch) => batch.Add("INSERT INTO seen VALUES ($1)", at);
    }

    private sealed class CounterTotals : IInlineProjection
    {
        public void Project(IReadOnlyList<UncommittedEvent> events, CommandBatch batch)
        {
            foreach (var e in events)
            {
                if (e.Data is Counted counted)
                {
                    batch.Add(
                        "INSERT INTO counter_totals VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, stream_id) DO UPDATE SET total = counter_totals.total + EXCLUDED.total, version = EXCLUDED.version",
                        e.TenantId,
                        e.StreamId,
                        counted.Amount,
                        e.Version);
                }
            }
        }
    }
}
