using ExpertsAtHand.Infrastructure.Postgres;
using Npgsql;

namespace ExpertsAtHand.Service.Hosting;

/// <summary>
/// Where the service's data lives: the configured server, or (with no ConnectionStrings:Postgres)
/// a private embedded cluster that this lease starts and stops.
/// </summary>
public sealed partial class DatabaseLease : IAsyncDisposable
{
    [LoggerMessage(Level = LogLevel.Information, Message = "The service is running on {DataDirectory}: working through its database.")]
    private static partial void LogSharing(ILogger logger, string dataDirectory);

    public const string DatabaseName = "experts_at_hand";

    private readonly EmbeddedPostgres? _embedded;

    private DatabaseLease(string connectionString, EmbeddedPostgres? embedded, string? dataDirectory = null)
    {
        ConnectionString = connectionString;
        _embedded = embedded;
        DataDirectory = embedded?.DataDirectory ?? dataDirectory;
    }

    public string ConnectionString { get; }
    public bool IsEmbedded => _embedded is not null;

    /// <summary>The embedded cluster's folder, ours or a running service's we share (null on a configured server).</summary>
    public string? DataDirectory { get; }

    /// <summary>The embedded server's state (null on a configured server, whose supervision is its operator's).</summary>
    public EmbeddedPostgresHealth? EmbeddedHealth => _embedded?.Health;

    /// <summary>Runs <paramref name="clearPools"/> whenever the embedded server comes back after stopping by itself.</summary>
    public void WhenRestarted(Action clearPools)
    {
        if (_embedded is not null)
        {
            _embedded.Restarted += clearPools;
        }
    }

    /// <param name="shareRunning">
    /// For verbs that can work beside a running service (imports, dead letters): when the service is
    /// running on the embedded folder, use its server instead of refusing that the folder is in use.
    /// </param>
    public static async Task<DatabaseLease> AcquireAsync(IConfiguration configuration, ILogger logger, CancellationToken cancellationToken, bool shareRunning = false)
    {
        var configured = configuration.GetConnectionString("Postgres");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return new DatabaseLease(configured, null);
        }

        var dataDirectory = configuration["Postgres:DataDirectory"] is { Length: > 0 } folder ? folder : EmbeddedPostgresOptions.DefaultDataDirectory();
        if (shareRunning && EmbeddedPostgres.RunningServerConnectionString(dataDirectory, DatabaseName) is { } running)
        {
            LogSharing(logger, dataDirectory);
            return new DatabaseLease(running, null, dataDirectory);
        }

        var embedded = await EmbeddedPostgres.StartAsync(
            new EmbeddedPostgresOptions
            {
                DataDirectory = dataDirectory,
                ServiceAccount = configuration["Postgres:ServiceAccount"],
                FirstRestartDelay = configuration.GetValue("Postgres:FirstRestartDelay", TimeSpan.FromMilliseconds(500)),
                LongestRestartDelay = configuration.GetValue("Postgres:LongestRestartDelay", TimeSpan.FromSeconds(30)),
            },
            logger,
            cancellationToken).ConfigureAwait(false);
        try
        {
            await using var admin = new NpgsqlConnection(embedded.ConnectionString);
            await admin.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", admin);
            exists.Parameters.Add(new NpgsqlParameter { Value = DatabaseName });
            if (await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null)
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE {DatabaseName}", admin);
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return new DatabaseLease(embedded.ConnectionStringFor(DatabaseName), embedded);
        }
        catch
        {
            await embedded.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_embedded is not null)
        {
            await _embedded.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>
/// Our own schema scripts: the read-model and report tables, idempotency keys, the access log. Marten
/// and Wolverine create and migrate their own tables; these are plain tables our SQL projections and
/// queries own, kept in our runner (numbered scripts, checksummed) rather than registered with Weasel,
/// because their indexes and shapes are tuned by hand for the report queries.
/// </summary>
public static class Schema
{
    public static IReadOnlyList<Migration> Migrations { get; } = Migration.FromAssembly(typeof(Schema).Assembly, "service");
}

/// <summary>A database written by the version with our own event store, before the move to Marten.</summary>
public static class EarlierVersion
{
    public static async Task RefuseAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT to_regclass('public.eah_events') IS NOT NULL");
        if ((bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
        {
            throw new EarlierVersionDatabaseException(
                "This database was created by an earlier version of Experts at Hand, whose event log Marten cannot read. "
                + "No production data exists yet: on the embedded default, delete the data folder (Postgres__DataDirectory) and its .password file and start again; "
                + "on a configured server, point ConnectionStrings__Postgres at a new, empty database.");
        }
    }
}

public sealed class EarlierVersionDatabaseException(string message) : Exception(message);

/// <summary>What the node is still doing before it should take traffic (seeding the demo area), or null when it is ready.</summary>
public sealed class StartupState
{
    private volatile string? _preparing;

    public string? Preparing
    {
        get => _preparing;
        set => _preparing = value;
    }
}
