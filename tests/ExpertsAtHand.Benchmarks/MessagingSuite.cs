using System.Collections.Concurrent;
using System.Diagnostics;
using JasperFx.MultiTenancy;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Wolverine;
using Wolverine.Marten;

namespace ExpertsAtHand.Benchmarks;

public sealed record Job(int N, long SentAt);

public sealed record JobDone(int N);

/// <summary>The handler: appends one event in its area's session, committed with the message's completion (Wolverine's outbox on Marten).</summary>
public static class JobHandler
{
    internal static ConcurrentBag<double> Latencies { get; } = [];
    internal static int Handled;
    internal static TaskCompletionSource AllHandled = new();
    internal static int Expected;

    public static void Handle(Job job, IDocumentSession session)
    {
        session.Events.StartStream(Guid.NewGuid(), new JobDone(job.N));
        if (job.SentAt != 0)
        {
            Latencies.Add(Stopwatch.GetElapsedTime(job.SentAt).TotalMilliseconds);
        }

        if (Interlocked.Increment(ref Handled) == Expected)
        {
            AllHandled.TrySetResult();
        }
    }
}

/// <summary>
/// Send-and-handle throughput on Wolverine's durable local queue with PostgreSQL persistence (the
/// handler appends one event), against a raw SKIP LOCKED queue (insert a row; claim and delete it),
/// and commit-to-handler latency.
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
        await cluster.ExecuteAsync("CREATE TABLE raw_queue (id bigserial PRIMARY KEY, body jsonb NOT NULL)");
        var rawPerSecond = await RawQueueAsync(cluster, messages);

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddMarten(options =>
        {
            options.Connection(cluster.DataSource);
            options.Events.TenancyStyle = TenancyStyle.Conjoined;
            options.Events.MapEventType<JobDone>("job-done");
        }).IntegrateWithWolverine();
        builder.UseWolverine(options =>
        {
            options.ApplicationAssembly = typeof(JobHandler).Assembly;
            options.UseRuntimeCompilation();
            options.Policies.UseDurableLocalQueues();
            options.Policies.AutoApplyTransactions();
            options.Durability.Mode = DurabilityMode.Solo;
            options.LocalQueueFor<Job>().MaximumParallelMessages(Consumers);
        });
        using var host = builder.Build();
        await host.StartAsync();

        // Warm: compile the handler and fill the pools before anything is timed.
        await SendAsync(host, 200, stamped: false);
        var wolverine = await SendAsync(host, messages, stamped: false);
        Console.WriteLine($"throughput: Wolverine {Measure.Whole(wolverine)}/s (send + handle + append one event) vs raw queue {Measure.Whole(rawPerSecond)}/s ({Producers} producers, {Consumers} handlers, durable commits)");

        var latencies = await LatencyAsync(host, latencySamples);
        Console.WriteLine($"latency commit to handler: p50 {latencies.P50:0.0} ms, p99 {latencies.P99:0.0} ms");
        await host.StopAsync();

        return $"messaging ratio={Measure.Ratio(wolverine / rawPerSecond)} per_s={Measure.Whole(wolverine)} "
               + $"p50_ms={latencies.P50.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)} p99_ms={latencies.P99.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)}";
    }

    private static async Task<double> SendAsync(IHost host, int messages, bool stamped)
    {
        JobHandler.Handled = 0;
        JobHandler.Expected = messages;
        JobHandler.AllHandled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stopwatch = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Producers).Select(_ => Task.Run(async () =>
        {
            using var scope = host.Services.CreateScope();
            var bus = scope.ServiceProvider.GetRequiredService<IMessageBus>();
            int n;
            while ((n = Interlocked.Increment(ref next)) < messages)
            {
                await bus.PublishAsync(new Job(n, stamped ? Stopwatch.GetTimestamp() : 0), new DeliveryOptions { TenantId = Tenant });
            }
        })));
        await JobHandler.AllHandled.Task.WaitAsync(TimeSpan.FromMinutes(10));
        return messages / stopwatch.Elapsed.TotalSeconds;
    }

    private static async Task<(double P50, double P99)> LatencyAsync(IHost host, int samples)
    {
        JobHandler.Latencies.Clear();
        JobHandler.Handled = 0;
        JobHandler.Expected = samples;
        JobHandler.AllHandled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var scope = host.Services.CreateScope();
        var bus = scope.ServiceProvider.GetRequiredService<IMessageBus>();
        for (var i = 0; i < samples; i++)
        {
            await bus.PublishAsync(new Job(i, Stopwatch.GetTimestamp()), new DeliveryOptions { TenantId = Tenant });
            await Task.Delay(Random.Shared.Next(1, 15)); // arrivals spread out, one at a time
        }

        await JobHandler.AllHandled.Task.WaitAsync(TimeSpan.FromMinutes(2));
        var sorted = JobHandler.Latencies.Order().ToList();
        return (Percentile(sorted, 0.50), Percentile(sorted, 0.99));
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

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
