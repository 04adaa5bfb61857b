using ExpertsAtHand.Infrastructure.Postgres;
using ExpertsAtHand.Testing;

namespace ExpertsAtHand.Infrastructure.Tests;

public sealed class MigrationRunnerTests
{
    // Not idempotent on purpose: running either script twice fails or double-counts.
    private static readonly Migration[] Scripts =
    [
        new("test/0001_counter", "CREATE TABLE applied_count (n int NOT NULL); INSERT INTO applied_count VALUES (1); SELECT pg_sleep(0.2);"),
        new("test/0002_more", "UPDATE applied_count SET n = n + 1; CREATE TABLE second_table (id int);"),
    ];

    [Fact]
    public async Task Concurrent_runners_apply_each_script_exactly_once()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        var runners = Enumerable.Range(0, 4).Select(_ => new MigrationRunner(database.DataSource).ApplyAsync(Scripts)).ToArray();

        var reports = await Task.WhenAll(runners);

        Assert.Equal(2, await database.ScalarAsync<int>("SELECT n FROM applied_count"));
        Assert.Equal(2L, await database.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
        Assert.Equal(2, reports.Sum(r => r.Applied.Count));
        Assert.Equal(6, reports.Sum(r => r.AlreadyApplied.Count));
    }

    [Fact]
    public async Task A_failing_script_leaves_no_trace_and_is_retried_next_time()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        Migration[] broken = [Scripts[0], new("test/0002_more", "CREATE TABLE half_done (id int); SELECT no_such_function();")];

        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => new MigrationRunner(database.DataSource).ApplyAsync(broken));

        Assert.Equal(["test/0002_more"], await new MigrationRunner(database.DataSource).PendingAsync(Scripts));
        Assert.False(await database.ScalarAsync<bool>("SELECT to_regclass('half_done') IS NOT NULL"));

        var report = await new MigrationRunner(database.DataSource).ApplyAsync(Scripts);
        Assert.Equal(["test/0002_more"], report.Applied);
        Assert.Empty(await new MigrationRunner(database.DataSource).PendingAsync(Scripts));
    }

    [Fact]
    public async Task A_script_edited_after_it_was_applied_is_refused_with_a_clear_error()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await new MigrationRunner(database.DataSource).ApplyAsync(Scripts);
        Migration[] edited = [Scripts[0] with { Sql = Scripts[0].Sql + " -- tweaked" }, Scripts[1]];

        var error = await Assert.ThrowsAsync<MigrationChangedException>(() => new MigrationRunner(database.DataSource).ApplyAsync(edited));

        Assert.Equal("test/0001_counter", error.MigrationId);
        Assert.Contains("add a new script", error.Message, StringComparison.Ordinal);
    }
}
