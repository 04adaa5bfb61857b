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
        var database = new TestDatabase(name, connectionString, NpgsqlDataSource.Create(connectionString));
        if (migrations is not null)
        {
            await new MigrationRunner(database.DataSource).ApplyAsync(migrations).ConfigureAwait(false);
        }

        return database;
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

public sealed class TestDatabase(string name, string connectionString, NpgsqlDataSource dataSource) : IAsyncDisposable
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

    public async ValueTask DisposeAsync() => await DataSource.DisposeAsync().ConfigureAwait(false);
}
