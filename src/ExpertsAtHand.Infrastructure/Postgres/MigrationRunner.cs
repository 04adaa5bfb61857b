using System.Reflection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ExpertsAtHand.Infrastructure.Postgres;

/// <summary>One versioned SQL script. Ids are "module/NNNN_name" and never change once shipped.</summary>
public sealed record Migration(string Id, string Sql)
{
    /// <summary>
    /// Every embedded resource of <paramref name="assembly"/> whose logical name starts with
    /// "<paramref name="module"/>/", in name order (so 0002 follows 0001).
    /// </summary>
    public static IReadOnlyList<Migration> FromAssembly(Assembly assembly, string module)
    {
        var prefix = module + "/";
        return
        [
            .. assembly.GetManifestResourceNames()
                .Where(name => name.StartsWith(prefix, StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
                .Select(name =>
                {
                    using var stream = assembly.GetManifestResourceStream(name)!;
                    using var reader = new StreamReader(stream);
                    return new Migration(name, reader.ReadToEnd());
                }),
        ];
    }
}

public sealed record MigrationReport(IReadOnlyList<string> Applied, IReadOnlyList<string> AlreadyApplied);

/// <summary>A script was edited after a database applied it: migrations only ever grow by new scripts.</summary>
public sealed class MigrationChangedException(string id)
    : Exception($"Migration {id} has changed since this database applied it. Applied scripts are never edited: add a new script for the change (or, for a throwaway development database, delete its data folder).")
{
    public string MigrationId { get; } = id;
}

/// <summary>
/// Applies scripts not yet recorded in schema_migrations, each in its own transaction. A session
/// advisory lock makes nodes that start together take turns, so each script runs exactly once.
/// </summary>
public sealed partial class MigrationRunner(NpgsqlDataSource dataSource, ILogger<MigrationRunner>? logger = null)
{
    // "EAHM" — any constant shared by every node will do; it only has to differ from other locks.
    private const long LockKey = 0x4541_484D;
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    public async Task<MigrationReport> ApplyAsync(IEnumerable<Migration> migrations, CancellationToken cancellationToken = default)
    {
        var wanted = migrations.ToList();
        var duplicate = wanted.GroupBy(m => m.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Migration {duplicate.Key} is listed twice.");
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, null, $"SELECT pg_advisory_lock({LockKey})", cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(
                connection,
                null,
                "CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now(), checksum text)",
                cancellationToken).ConfigureAwait(false);
            var done = await AppliedIdsAsync(connection, cancellationToken).ConfigureAwait(false);
            var changed = wanted.FirstOrDefault(m => done.TryGetValue(m.Id, out var checksum) && checksum is not null && checksum != Checksum(m));
            if (changed is not null)
            {
                throw new MigrationChangedException(changed.Id);
            }

            var applied = new List<string>();
            foreach (var migration in wanted.Where(m => !done.ContainsKey(m.Id)))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
                await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (id, checksum) VALUES ($1, $2)", connection, transaction))
                {
                    record.Parameters.Add(new NpgsqlParameter { Value = migration.Id });
                    record.Parameters.Add(new NpgsqlParameter { Value = Checksum(migration) });
                    await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                applied.Add(migration.Id);
                LogApplied(_logger, migration.Id);
            }

            return new MigrationReport(applied, [.. wanted.Select(m => m.Id).Where(done.ContainsKey)]);
        }
        finally
        {
            await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The ids of <paramref name="migrations"/> that the database has not applied yet.</summary>
    public async Task<IReadOnlyList<string>> PendingAsync(IEnumerable<Migration> migrations, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('schema_migrations') IS NOT NULL", connection))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                return [.. migrations.Select(m => m.Id)];
            }
        }

        var done = await AppliedIdsAsync(connection, cancellationToken).ConfigureAwait(false);
        return [.. migrations.Select(m => m.Id).Where(id => !done.ContainsKey(id))];
    }

    /// <summary>Applied ids with the checksum recorded when each was applied.</summary>
    private static async Task<Dictionary<string, string?>> AppliedIdsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var done = new Dictionary<string, string?>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand("SELECT id, checksum FROM schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            done[reader.GetString(0)] = reader.IsDBNull(1) ? null : reader.GetString(1);
        }

        return done;
    }

    // Line endings are normalised so a checkout on another platform is not "a change".
    private static string Checksum(Migration migration) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(migration.Sql.Replace("\r\n", "\n", StringComparison.Ordinal))));

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {MigrationId}")]
    private static partial void LogApplied(ILogger logger, string migrationId);
}
