using ExpertsAtHand.Infrastructure.Postgres;
using Npgsql;

namespace ExpertsAtHand.Testing;

/// <summary>
/// One embedded cluster per test process (fsync off, temporary folder), and a fresh database per
/// test so tests never see each other's rows. Honours ConnectionStrings__Postgres when set.
/// </summary>
public static class TestPostgres
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static EmbeddedPostgres? _cluster;
    private static string? _serverConnectionString;

    public static async Task<string> ServerConnectionStringAsync()
    {
        if (_serverConnectionString is not null)
        {
            return _serverConnectionString;
        }

        await Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_serverConnectionString is null)
            {
                var configured = Environment.GetEnvironmentVariable("ConnectionStrings__Postgres");
                if (!string.IsNullOrWhiteSpace(configured))
                {
                    _serverConnectionString = configured;
                }
                else
                {
                    RemoveStaleClusters();
                    var folder = Path.Combine(Path.GetTempPath(), "eah-tests-" + Guid.NewGuid().ToString("N")[..12]);
                    _cluster = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = folder, Durable = false }).ConfigureAwait(false);
                    AppDomain.CurrentDomain.ProcessExit += (_, _) => DeleteQuietly(folder);
                    _serverConnectionString = _cluster.ConnectionString;
                }
            }

            return _serverConnectionString;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>A new, empty database with <paramref name="migrations"/> applied.</summary>
    public static async Task<TestDatabase> CreateDatabaseAsync(IEnumerable<Migration>? migrations = null)
    {
        var server = await ServerConnectionStringAsync().ConfigureAwait(false);
        var name = "t_" + Guid.NewGuid().ToString("N")[..16];
        await using (var admin = new NpgsqlConnection(server))
        {
            await admin.OpenAsync().ConfigureAwait(false);
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = name, MaxPoolSize = 60 }.ConnectionString;
        var database = new TestDatabase(name, connectionString, NpgsqlDataSource.Create(connectionString), server);
        if (migrations is not null)
        {
            await new MigrationRunner(database.DataSource).ApplyAsync(migrations).ConfigureAwait(false);
        }

        return database;
    }

    /// <summary>
    /// A test host stopped by the runner never reaches its exit handlers, so its cluster folder (a
    /// gigabyte or more) stays behind. Folders of earlier runs whose server is no longer running go now.
    /// </summary>
    private static void RemoveStaleClusters()
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), "eah-tests-*"))
        {
            var pidFile = Path.Combine(folder, "postmaster.pid");
            var running = File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid) && Directory.Exists($"/proc/{pid}");
            if (!running)
            {
                DeleteQuietly(folder);
            }
        }
    }

    private static void DeleteQuietly(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
            File.Delete(EmbeddedPostgres.PasswordFileFor(folder));
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

public sealed class TestDatabase(string name, string connectionString, NpgsqlDataSource dataSource, string serverConnectionString) : IAsyncDisposable
{
    public string Name { get; } = name;
    public string ConnectionString { get; } = connectionString;
    public NpgsqlDataSource DataSource { get; } = dataSource;

    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return (T)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>Drops the database: a run leaves no gigabytes behind (FORCE: a host's pools may still hold connections).</summary>
    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync().ConfigureAwait(false);
        await using var admin = new NpgsqlConnection(serverConnectionString);
        await admin.OpenAsync().ConfigureAwait(false);
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync().ConfigureAwait(false);
    }
}
