using System.Diagnostics;
using ExpertsAtHand.EventStore;
using ExpertsAtHand.EventStore.Postgres;
using ExpertsAtHand.Messaging;
using Npgsql;

namespace ExpertsAtHand.Benchmarks;

internal sealed record Job(int N, long SentAt);

internal sealed record JobDone(int N);

/// <summary>
/// Enqueue-and-handle throughput (the handler appends one event) against a raw SKIP LOCKED queue
/// (insert a row; claim and delete it), and commit-to-handler latency with NOTIFY and polling only.
/// </summary>
internal static class MessagingSuite
{
    private const int Producers = 8;
    private const int Consumers = 8;
    private const string Tenant = "bench";

    public static async Task<string> RunAsync(bool quick)
    {
        var messages = quick ? 8_000 : 40_000;
        var latencySamples = quick ? 300 : 1_000;

        await using var cluster = await BenchmarkCluster.StartAsync();
        await new MigrationRunner(cluster.DataSource).ApplyAsync([.. EventStore.EventStore.Migrations, .. MessageBus.Migrations]);
        await cluster.ExecuteAsync("CREATE TABLE raw_queue (id bigserial PRIMARY KEY, body jsonb NOT NULL)");

        var rawPerSecond = await RawQueueAsync(cluster, messages);
        var ours = await OurQueueAsync(cluster, messages);
        Console.WriteLine($"throughput: {Measure.Whole(ours)}/s (send + handle + append one event) vs raw queue {Measure.Whole(rawPerSecond)}/s ({Producers} producers, {Consumers} consumers, durable commits)");

        var notify = await LatencyAsync(cluster, latencySamples, listen: true);
        var polling = await LatencyAsync(cluster, latencySamples / 3, listen: false);
        Console.WriteLine($"latency with NOTIFY: p50 {notify.P50:0.0} ms, p99 {notify.P99:0.0} ms; polling only (250 ms): p50 {polling.P50:0.0} ms, p99 {polling.P99:0.0} ms");

        return $"messaging ratio={Measure.Ratio(ours / rawPerSecond)} per_s={Measure.Whole(ours)} "
               + $"p50_ms={notify.P50.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)} p99_ms={notify.P99.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)}";
    }

    private static async Task<double> RawQueueAsync(BenchmarkCluster cluster, int messages)
    {
        var stopwatch = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Producers).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) < messages)
            {
                await using var insert = cluster.DataSource.CreateCommand("INSERT INTO raw_queue (body) VALUES ($1::jsonb)");
                insert.Parameters.Add(new NpgsqlParameter { Value = "{\"n\":1}" });
                await insert.ExecuteNonQueryAsync();
            }
        })));
        await Task.WhenAll(Enumerable.Range(0, Consumers).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                await using var claim = cluster.DataSource.CreateCommand(
                    "DELETE FROM raw_queue WHERE id = (SELECT id FROM raw_queue ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id");
                if (await claim.ExecuteScalarAsync() is null)
                {
                    return;
                }
            }
        })));
        return messages / stopwatch.Elapsed.TotalSeconds;
    }

    private static async Task<double> OurQueueAsync(BenchmarkCluster cluster, int messages)
    {
        var bus = NewBus(cluster, listen: true, TimeSpan.FromMilliseconds(250));
        var handled = 0;
        var done = new TaskCompletionSource();
        bus.Handle<Job>((job, context, _) =>
        {
            context.Session.StartStream("job", Guid.NewGuid(), new JobDone(job.N));
            if (Interlocked.Increment(ref handled) == messages)
            {
                done.TrySetResult();
            }

            return Task.CompletedTask;
        });

        var stopwatch = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Producers).Select(_ => Task.Run(async () =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < messages)
            {
                await bus.SendAsync(Tenant, EventMetadata.None, CancellationToken.None, new Job(n, 0));
            }
        })));
        await using var worker = new MessageWorker(bus);
        worker.Start();
        await done.Task;
        var perSecond = messages / stopwatch.Elapsed.TotalSeconds;
        await worker.StopAsync();
        return perSecond;
    }

    private static async Task<(double P50, double P99)> LatencyAsync(BenchmarkCluster cluster, int samples, bool listen)
    {
        var consumer = NewBus(cluster, listen, TimeSpan.FromMilliseconds(250));
        var latencies = new List<double>();
        var arrived = new SemaphoreSlim(0);
        consumer.Handle<Job>((job, _, _) =>
        {
            lock (latencies)
            {
                latencies.Add(Stopwatch.GetElapsedTime(job.SentAt).TotalMilliseconds);
            }

            arrived.Release();
            return Task.CompletedTask;
        });

        // Sent from another bus, as another node would: only NOTIFY or polling can wake the consumer.
        var producer = NewBus(cluster, listen: false, TimeSpan.FromMinutes(1));
        await using var worker = new MessageWorker(consumer);
        worker.Start();
        await Task.Delay(300);
        for (var i = 0; i < samples; i++)
        {
            await producer.SendAsync(Tenant, EventMetadata.None, CancellationToken.None, new Job(i, Stopwatch.GetTimestamp()));
            await arrived.WaitAsync(TimeSpan.FromSeconds(10));
            await Task.Delay(Random.Shared.Next(1, 15)); // arrivals spread over the poll cycle
        }

        await worker.StopAsync();
        latencies.Sort();
        return (Percentile(latencies, 0.50), Percentile(latencies, 0.99));
    }

    private static MessageBus NewBus(BenchmarkCluster cluster, bool listen, TimeSpan pollInterval)
    {
        var store = new EventStore.EventStore(cluster.DataSource, new EventStoreOptions { Types = new TypeRegistry().Register<JobDone>("job-done") });
        return new MessageBus(store, new MessagingOptions
        {
            Types = new TypeRegistry().Register<Job>("job"),
            Parallelism = Consumers,
            ListenForNotifications = listen,
            PollInterval = pollInterval,
        });
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
