using ExpertsAtHand.Infrastructure.Postgres;
using Npgsql;

namespace ExpertsAtHand.Infrastructure.Tests;

// Each test owns its own cluster folder, so these run one after another to keep the machine calm.
[Collection("Clusters")]
public sealed class EmbeddedPostgresTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "eah-embedded-" + Guid.NewGuid().ToString("N")[..12]);

    private EmbeddedPostgresOptions Options => new() { DataDirectory = _folder, Durable = false };

    [Fact]
    public async Task Starts_a_private_cluster_on_loopback_and_stops_without_leaving_a_server_behind()
    {
        var postgres = await EmbeddedPostgres.StartAsync(Options);
        var pid = postgres.ServerProcessId;

        Assert.Equal(1, await ScalarAsync<int>(postgres.ConnectionString, "SELECT 1"));
        Assert.Equal("127.0.0.1", await ScalarAsync<string>(postgres.ConnectionString, "SELECT host(inet_server_addr())"));

        await postgres.StopAsync();

        Assert.False(File.Exists($"/proc/{pid}/comm") && File.ReadAllText($"/proc/{pid}/comm").StartsWith("postgres", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(_folder, "postmaster.pid")));
    }

    [Fact]
    public async Task A_second_start_on_the_same_folder_finds_its_data_again()
    {
        await using (var first = await EmbeddedPostgres.StartAsync(Options))
        {
            await ExecuteAsync(first.ConnectionString, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)");
        }

        await using var second = await EmbeddedPostgres.StartAsync(Options);
        Assert.Equal(42, await ScalarAsync<int>(second.ConnectionString, "SELECT v FROM kept"));
    }

    [Fact]
    public async Task After_the_server_is_killed_the_next_start_recovers_and_keeps_committed_data()
    {
        // The service is gone too (as after kill -9 of both): no supervisor brings the server back first.
        var first = await EmbeddedPostgres.StartAsync(Options with { Durable = true, FirstRestartDelay = TimeSpan.FromMinutes(10) });
        await ExecuteAsync(first.ConnectionString, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (7)");
        using (var server = System.Diagnostics.Process.GetProcessById(first.ServerProcessId))
        {
            server.Kill(); // SIGKILL: no shutdown, a stale postmaster.pid stays behind
            await server.WaitForExitAsync();
        }

        Assert.True(File.Exists(Path.Combine(_folder, "postmaster.pid")));
        await first.StopAsync();

        await using var second = await EmbeddedPostgres.StartAsync(Options with { Durable = true });
        Assert.Equal(7, await ScalarAsync<int>(second.ConnectionString, "SELECT v FROM kept"));
    }

    [Fact]
    public async Task A_server_that_stops_by_itself_is_started_again_on_its_port_with_its_data()
    {
        await using var postgres = await EmbeddedPostgres.StartAsync(Options with { Durable = true });
        await ExecuteAsync(postgres.ConnectionString, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (11)");
        var restarted = 0;
        postgres.Restarted += () => Interlocked.Increment(ref restarted);
        var killed = postgres.ServerProcessId;

        Kill(killed); // what an out-of-memory kill leaves: no shutdown, the service still running

        var health = await WaitForAsync(postgres, h => h.IsRunning && h.Restarts == 1);
        Assert.Null(health.Problem);
        Assert.NotEqual(killed, postgres.ServerProcessId);
        Assert.Equal(1, Volatile.Read(ref restarted));
        Assert.Equal(11, await ScalarAsync<int>(postgres.ConnectionString, "SELECT v FROM kept")); // same port, same password, same data
    }

    [Fact]
    public async Task A_server_that_cannot_come_back_says_why_in_its_own_words_and_is_tried_again_until_it_can()
    {
        await using var postgres = await EmbeddedPostgres.StartAsync(Options with { Durable = true, FirstRestartDelay = TimeSpan.FromMilliseconds(200), LongestRestartDelay = TimeSpan.FromMilliseconds(500) });
        await ExecuteAsync(postgres.ConnectionString, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (12)");
        var settings = Path.Combine(_folder, "postgresql.auto.conf");
        var good = await File.ReadAllTextAsync(settings);
        await File.WriteAllTextAsync(settings, good + "shared_buffers = 'plenty'\n"); // read only when the server next starts

        Kill(postgres.ServerProcessId);

        var failing = await WaitForAsync(postgres, h => h.Problem?.Contains("Restart 2 failed", StringComparison.Ordinal) == true);
        Assert.False(failing.IsRunning);
        Assert.Matches("FATAL: +configuration file \".*postgresql.auto.conf\" contains errors", failing.Problem);

        await File.WriteAllTextAsync(settings, good); // the operator mends it; nobody restarts the service

        await WaitForAsync(postgres, h => h.IsRunning && h.Restarts == 1);
        Assert.Equal(12, await ScalarAsync<int>(postgres.ConnectionString, "SELECT v FROM kept"));
    }

    [Fact]
    public async Task A_folder_in_use_by_a_running_instance_is_refused_with_a_clear_error()
    {
        await using var first = await EmbeddedPostgres.StartAsync(Options);

        var error = await Assert.ThrowsAsync<EmbeddedPostgresStartException>(() => EmbeddedPostgres.StartAsync(Options));

        Assert.Contains("in use by another running instance", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, await ScalarAsync<int>(first.ConnectionString, "SELECT 1"));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task The_cluster_refuses_any_connection_without_its_password_which_only_the_services_account_can_read()
    {
        await using var postgres = await EmbeddedPostgres.StartAsync(Options);
        var passwordFile = EmbeddedPostgres.PasswordFileFor(_folder);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(passwordFile));
        Assert.Equal(1, await ScalarAsync<int>(postgres.ConnectionString, "SELECT 1"));
        var withoutPassword = new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Password = null, Pooling = false }.ConnectionString;
        var wrongPassword = new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Password = "guessed", Pooling = false }.ConnectionString;
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync<int>(withoutPassword, "SELECT 1"));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync<int>(wrongPassword, "SELECT 1"));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, refused.SqlState);
        Assert.DoesNotContain("trust", await File.ReadAllTextAsync(Path.Combine(_folder, "pg_hba.conf")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cluster_from_before_passwords_is_locked_on_its_next_start()
    {
        await using (var first = await EmbeddedPostgres.StartAsync(Options))
        {
            await ExecuteAsync(first.ConnectionString, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (31)");
        }

        // What an earlier version left: every local connection trusted, and no password file.
        var hba = Path.Combine(_folder, "pg_hba.conf");
        await File.WriteAllTextAsync(hba, "host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n");
        File.Delete(EmbeddedPostgres.PasswordFileFor(_folder));

        await using var second = await EmbeddedPostgres.StartAsync(Options);

        Assert.Equal(31, await ScalarAsync<int>(second.ConnectionString, "SELECT v FROM kept"));
        Assert.True(File.Exists(EmbeddedPostgres.PasswordFileFor(_folder)));
        Assert.DoesNotContain("trust", await File.ReadAllTextAsync(hba), StringComparison.Ordinal);
        var wrongPassword = new NpgsqlConnectionStringBuilder(second.ConnectionString) { Password = "guessed", Pooling = false }.ConnectionString;
        Assert.Equal(PostgresErrorCodes.InvalidPassword, (await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync<int>(wrongPassword, "SELECT 1"))).SqlState);
    }

    [Fact]
    public async Task A_locked_cluster_whose_password_file_is_lost_says_so_rather_than_waiting()
    {
        await using (await EmbeddedPostgres.StartAsync(Options))
        {
        }

        File.Delete(EmbeddedPostgres.PasswordFileFor(_folder));

        var error = await Assert.ThrowsAsync<EmbeddedPostgresStartException>(() => EmbeddedPostgres.StartAsync(Options));
        Assert.Contains("password file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_server_binaries_the_error_is_one_line_saying_how_to_install_them()
    {
        var empty = Directory.CreateTempSubdirectory("eah-no-postgres-");
        try
        {
            var error = await Assert.ThrowsAsync<PostgresBinariesNotFoundException>(
                () => EmbeddedPostgres.StartAsync(Options with { BinarySearchDirectories = [empty.FullName] }));

            Assert.DoesNotContain('\n', error.Message);
            Assert.Contains("apt-get install postgresql", error.Message, StringComparison.Ordinal);
            Assert.Contains("ConnectionStrings__Postgres", error.Message, StringComparison.Ordinal);
            Assert.False(Directory.Exists(_folder), "nothing is created when the server cannot be found");
        }
        finally
        {
            empty.Delete();
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }

        File.Delete(EmbeddedPostgres.PasswordFileFor(_folder));
    }

    private static void Kill(int pid)
    {
        using var server = System.Diagnostics.Process.GetProcessById(pid);
        server.Kill();
        server.WaitForExit();
    }

    private static async Task<EmbeddedPostgresHealth> WaitForAsync(EmbeddedPostgres postgres, Func<EmbeddedPostgresHealth, bool> condition)
    {
        for (var i = 0; i < 600; i++)
        {
            if (postgres.Health is var health && condition(health))
            {
                return health;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"the embedded server never reached the expected state; last: {postgres.Health}");
        return postgres.Health;
    }

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
