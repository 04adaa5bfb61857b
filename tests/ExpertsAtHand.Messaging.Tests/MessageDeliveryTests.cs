using System.Diagnostics;
using ExpertsAtHand.EventStore;
using ExpertsAtHand.Testing;
using static ExpertsAtHand.Messaging.Tests.MessagingTestKit;

namespace ExpertsAtHand.Messaging.Tests;

public sealed class MessageDeliveryTests
{
    [Fact]
    public async Task Messages_commit_with_the_events_that_caused_them_and_vanish_when_the_append_fails()
    {
        var (database, bus) = await CreateAsync();
        await using var _ = database;
        var stream = Guid.NewGuid();
        await using (var first = bus.Store.OpenSession(Tenant))
        {
            first.StartStream("ping", stream, new PingHandled(0));
            bus.OutboxFor(first).Send(new Ping(1));
            await first.SaveChangesAsync();
        }

        await using (var conflicting = bus.Store.OpenSession(Tenant))
        {
            conflicting.StartStream("ping", stream, new PingHandled(0)); // the stream exists: conflict
            bus.OutboxFor(conflicting).Send(new Ping(2));
            await Assert.ThrowsAsync<StreamVersionConflictException>(() => conflicting.SaveChangesAsync());
        }

        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM eah_messages"));
        Assert.Equal("{\"n\": 1}", await database.ScalarAsync<string>("SELECT body::text FROM eah_messages"));
    }

    [Fact]
    public async Task A_crash_between_commit_and_dispatch_still_delivers()
    {
        var (database, bus) = await CreateAsync();
        await using var _ = database;

        // The node that committed dies before any worker sees the message.
        await bus.SendAsync(Tenant, new EventMetadata("corr-1"), CancellationToken.None, new Ping(7));

        var restarted = SecondNode(bus, "restarted");
        restarted.Handle<Ping>((ping, context, ct) => RecordAsync(ping, context, "restarted", ct));
        Assert.Equal(1, await new MessageWorker(restarted).RunUntilIdleAsync());

        Assert.Equal(7, await database.ScalarAsync<int>("SELECT n FROM handled"));
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM eah_messages"));
        Assert.Equal("corr-1", await database.ScalarAsync<string>("SELECT correlation_id FROM eah_events"));
    }

    [Fact]
    public async Task A_handler_that_fails_after_writing_is_retried_and_its_writes_happen_once()
    {
        var clock = new ManualClock(Start);
        var (database, bus) = await CreateAsync(clock);
        await using var _ = database;
        bus.Handle<Ping>(async (ping, context, ct) =>
        {
            await RecordAsync(ping, context, "a", ct);
            if (context.Attempt == 1)
            {
                throw new HttpRequestException("the e-mail service timed out");
            }
        });
        await bus.SendAsync(Tenant, EventMetadata.None, CancellationToken.None, new Ping(1));
        var worker = new MessageWorker(bus);

        Assert.Equal(1, await worker.RunUntilIdleAsync());
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM handled"));
        Assert.Equal(0, await worker.RunUntilIdleAsync()); // backing off: not due yet

        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, await worker.RunUntilIdleAsync());
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM handled"));
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM eah_events WHERE event_type = 'ping-handled'"));
    }

    [Fact]
    public async Task A_node_that_dies_inside_a_handler_loses_its_lease_and_its_late_writes_never_commit()
    {
        var clock = new ManualClock(Start);
        var (database, bus) = await CreateAsync(clock, o => o with { LeaseDuration = TimeSpan.FromMinutes(1) });
        await using var _ = database;
        var stuck = new TaskCompletionSource();
        var entered = new TaskCompletionSource();
        bus.Handle<Ping>(async (ping, context, ct) =>
        {
            entered.TrySetResult();
            await stuck.Task; // this node hangs, as if its process froze mid-handler
            await RecordAsync(ping, context, "dying", ct);
        });
        var survivor = SecondNode(bus, "survivor");
        survivor.Handle<Ping>((ping, context, ct) => RecordAsync(ping, context, "survivor", ct));
        await bus.SendAsync(Tenant, EventMetadata.None, CancellationToken.None, new Ping(1));

        var dying = new MessageWorker(bus).RunUntilIdleAsync();
        await entered.Task;
        Assert.Equal(0, await new MessageWorker(survivor).RunUntilIdleAsync()); // leased: not for others yet

        clock.Advance(TimeSpan.FromMinutes(2)); // the lease runs out
        Assert.Equal(1, await new MessageWorker(survivor).RunUntilIdleAsync());

        stuck.SetResult(); // the frozen node wakes and tries to finish
        await dying;

        Assert.Equal("survivor", await database.ScalarAsync<string>("SELECT string_agg(node, ',') FROM handled"));
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM eah_events"));
    }

    [Fact]
    public async Task Two_worker_nodes_never_process_a_message_twice()
    {
        var (database, bus) = await CreateAsync(configure: o => o with { Parallelism = 4, ListenForNotifications = false });
        await using var _ = database;
        const int Messages = 10_000;
        var nodeA = bus;
        var nodeB = SecondNode(bus, "node-b");
        nodeA.Handle<Ping>((ping, context, ct) => RecordAsync(ping, context, "a", ct));
        nodeB.Handle<Ping>((ping, context, ct) => RecordAsync(ping, context, "b", ct));
        for (var start = 0; start < Messages; start += 1_000)
        {
            await bus.SendAsync(Tenant, EventMetadata.None, CancellationToken.None, [.. Enumerable.Range(start, 1_000).Select(n => (object)new Ping(n))]);
        }

        await using var workerA = new MessageWorker(nodeA);
        await using var workerB = new MessageWorker(nodeB);
        workerA.Start();
        workerB.Start();
        await WaitUntilAsync(async () => await database.ScalarAsync<long>("SELECT count(*) FROM eah_messages") == 0, seconds: 240);
        await workerA.StopAsync();
        await workerB.StopAsync();

        Assert.Equal((long)Messages, await database.ScalarAsync<long>("SELECT count(*) FROM handled"));
        Assert.Equal((long)Messages, await database.ScalarAsync<long>("SELECT count(DISTINCT message_id) FROM handled"));
        Assert.Equal((long)Messages, await database.ScalarAsync<long>("SELECT count(DISTINCT n) FROM handled"));
        Assert.Equal(2L, await database.ScalarAsync<long>("SELECT count(DISTINCT node) FROM handled"));
    }

    [Fact]
    public async Task A_scheduled_message_fires_at_its_time_and_never_before()
    {
        var clock = new ManualClock(Start);
        var (database, bus) = await CreateAsync(clock);
        await using var _ = database;
        bus.Handle<Ping>((ping, context, ct) => RecordAsync(ping, context, "a", ct));
        await using (var session = bus.Store.OpenSession(Tenant))
        {
            bus.OutboxFor(session).Schedule(new Ping(1), Start.AddMinutes(10));
            await session.SaveChangesAsync();
        }

        var worker = new MessageWorker(bus);
        clock.Set(Start.AddMinutes(10).AddTicks(-1));
        Assert.Equal(0, await worker.RunUntilIdleAsync());

        clock.Set(Start.AddMinutes(10));
        Assert.Equal(1, await worker.RunUntilIdleAsync());
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM handled"));
    }

    [Fact]
    public async Task A_poison_message_lands_in_dead_letters_after_the_last_attempt_and_can_be_replayed()
    {
        var clock = new ManualClock(Start);
        var (database, bus) = await CreateAsync(clock);
        await using var _ = database;
        var broken = true;
        bus.Handle<Ping>(async (ping, context, ct) =>
        {
            if (broken)
            {
                throw new HttpRequestException("service unavailable");
            }

            await RecordAsync(ping, context, "a", ct);
        });
        var id = (await bus.SendAsync(Tenant, EventMetadata.None, CancellationToken.None, new Ping(1)))[0];
        var worker = new MessageWorker(bus);

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            Assert.Equal(1, await worker.RunUntilIdleAsync());
            clock.Advance(TimeSpan.FromMinutes(1));
        }

        var letter = Assert.Single(await bus.DeadLetters.ListAsync(Tenant));
        Assert.Equal(id, letter.Id);
        Assert.Equal(3, letter.Attempts);
        Assert.Contains("service unavailable", letter.Error, StringComparison.Ordinal);
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM eah_messages"));
        Assert.Empty(await bus.DeadLetters.ListAsync("another-area"));
        Assert.False(await bus.DeadLetters.ReplayAsync(id, "another-area"));

        broken = false;
        Assert.True(await bus.DeadLetters.ReplayAsync(id, Tenant));
        Assert.Equal(1, await worker.RunUntilIdleAsync());
        Assert.Empty(await bus.DeadLetters.ListAsync());
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM handled"));
    }

    [Fact]
    public async Task A_failure_that_cannot_succeed_is_dead_lettered_at_once_and_can_be_discarded()
    {
        var (database, bus) = await CreateAsync();
        await using var _ = database;
        bus.Handle<Ping>((_, _, _) => throw new PoisonMessageException("template does not exist"));
        var id = (await bus.SendAsync(Tenant, EventMetadata.None, CancellationToken.None, new Ping(1)))[0];

        await new MessageWorker(bus).RunUntilIdleAsync();

        Assert.Equal(1, Assert.Single(await bus.DeadLetters.ListAsync()).Attempts);
        Assert.True(await bus.DeadLetters.DiscardAsync(id));
        Assert.Empty(await bus.DeadLetters.ListAsync());
    }

    [Fact]
    public async Task A_message_of_an_unknown_type_is_dead_lettered_not_retried_forever()
    {
        var (database, bus) = await CreateAsync();
        await using var _ = database;
        await database.ExecuteAsync(
            "INSERT INTO eah_messages (id, tenant_id, message_type, body, due_at, created_at) VALUES (gen_random_uuid(), 'area-a', 'no-such-type', '{}', now() - interval '1 minute', now())");

        await new MessageWorker(bus).RunUntilIdleAsync();

        Assert.Equal("no-such-type", Assert.Single(await bus.DeadLetters.ListAsync()).MessageType);
    }

    [Fact]
    public async Task A_commit_on_another_node_wakes_an_idle_worker_through_notify()
    {
        var (database, bus) = await CreateAsync(configure: o => o with { PollInterval = TimeSpan.FromMinutes(5) });
        await using var _ = database;
        bus.Handle<Ping>((ping, context, ct) => RecordAsync(ping, context, "a", ct));
        await using var worker = new MessageWorker(bus);
        worker.Start();
        await Task.Delay(500); // let the loops go idle on their five-minute poll

        // Another node commits: no in-process wake-up can reach this worker, only NOTIFY.
        var elsewhere = SecondNode(bus, "elsewhere");
        await elsewhere.SendAsync(Tenant, EventMetadata.None, CancellationToken.None, new Ping(1));

        await WaitUntilAsync(async () => await database.ScalarAsync<long>("SELECT count(*) FROM handled") == 1, seconds: 20);
    }

    [Fact]
    public async Task Trace_context_travels_from_the_sender_to_the_handler()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        using var source = new ActivitySource("test.http");
        var (database, bus) = await CreateAsync();
        await using var _ = database;
        ActivityTraceId? seenInHandler = null;
        bus.Handle<Ping>((_, _, _) =>
        {
            seenInHandler = Activity.Current?.TraceId;
            return Task.CompletedTask;
        });

        ActivityTraceId sentIn;
        using (var request = source.StartActivity("POST /api/requests"))
        {
            sentIn = request!.TraceId;
            await bus.SendAsync(Tenant, EventMetadata.None, CancellationToken.None, new Ping(1));
        }

        await new MessageWorker(bus).RunUntilIdleAsync();

        Assert.Equal(sentIn, seenInHandler);
    }

    [Fact]
    public void Retry_delays_grow_exponentially_with_jitter_and_stop_at_the_cap()
    {
        var policy = new RetryPolicy { BaseDelay = TimeSpan.FromSeconds(2), MaxDelay = TimeSpan.FromSeconds(60), MaxAttempts = 10 };
        var random = new Random(42);

        for (var attempt = 1; attempt <= 8; attempt++)
        {
            var ceiling = Math.Min(2 * Math.Pow(2, attempt - 1), 60);
            var delays = Enumerable.Range(0, 50).Select(_ => policy.DelayAfter(attempt, random).TotalSeconds).ToList();

            Assert.All(delays, d => Assert.InRange(d, ceiling / 2, ceiling));
            Assert.True(delays.Distinct().Count() > 1, "jitter spreads retries");
        }

        Assert.True(policy.ShouldRetry(new HttpRequestException(), 9));
        Assert.False(policy.ShouldRetry(new HttpRequestException(), 10));
        Assert.False(policy.ShouldRetry(new PoisonMessageException("no"), 1));
    }
}
