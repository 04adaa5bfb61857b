using System.Diagnostics;
using ExpertsAtHand.Infrastructure.Postgres;
using Npgsql;

namespace ExpertsAtHand.Benchmarks;

/// <summary>
/// A private cluster with durable settings (fsync and synchronous commit on), the same for every
/// side of every comparison, so ratios measure our code and not the configuration.
/// </summary>
internal sealed class BenchmarkCluster : IAsyncDisposable
{
    private readonly EmbeddedPostgres _postgres;
    private readonly string _folder;

    private BenchmarkCluster(EmbeddedPostgres postgres, string folder, NpgsqlDataSource dataSource)
    {
        _postgres = postgres;
        _folder = folder;
        DataSource = dataSource;
    }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>With its password (a data source's own connection string leaves the password out).</summary>
    public required string ConnectionString { get; init; }

    public static async Task<BenchmarkCluster> StartAsync()
    {
        var folder = Path.Combine(Path.GetTempPath(), "eah-bench-" + Guid.NewGuid().ToString("N")[..10]);
        var postgres = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions
        {
            DataDirectory = folder,
            Durable = true,
            ServerSettings = new Dictionary<string, string> { ["shared_buffers"] = "512MB", ["max_wal_size"] = "4GB" },
        });
        var connectionString = new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { MaxPoolSize = 64, MaxAutoPrepare = 64, AutoPrepareMinUsages = 2 }.ConnectionString;
        return new BenchmarkCluster(postgres, folder, NpgsqlDataSource.Create(connectionString)) { ConnectionString = connectionString };
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await _postgres.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
            File.Delete(EmbeddedPostgres.PasswordFileFor(_folder));
        }
        catch (IOException)
        {
        }
    }
}

internal static class Measure
{
    /// <summary>Runs <paramref name="writers"/> loops of <paramref name="operation"/> for <paramref name="duration"/>; returns operations per second.</summary>
    public static async Task<double> ThroughputAsync(int writers, TimeSpan duration, Func<int, long, Task> operation)
    {
        long completed = 0;
        var stopwatch = Stopwatch.StartNew();
        var deadline = stopwatch.Elapsed + duration;
        var loops = Enumerable.Range(0, writers).Select(writer => Task.Run(async () =>
        {
            long iteration = 0;
            while (stopwatch.Elapsed < deadline)
            {
                await operation(writer, iteration++);
                Interlocked.Increment(ref completed);
            }
        })).ToArray();
        await Task.WhenAll(loops);
        return completed / stopwatch.Elapsed.TotalSeconds;
    }

    public static string Ratio(double value) => value.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);

    public static string Whole(double value) => value.ToString("0", System.Globalization.CultureInfo.InvariantCulture);
}
