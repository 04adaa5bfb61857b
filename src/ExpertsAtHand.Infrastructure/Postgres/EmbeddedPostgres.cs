using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ExpertsAtHand.Infrastructure.Postgres;

public sealed record EmbeddedPostgresOptions
{
    /// <summary>Where the cluster lives. Created and initialised on first start; reused afterwards.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>
    /// Durable keeps fsync and synchronous commit on. Tests turn it off: their data is thrown away,
    /// and a crash-safe disk flush per commit would only slow them down.
    /// </summary>
    public bool Durable { get; init; } = true;

    /// <summary>Replaces the PATH and /usr/lib/postgresql search (tests use it to simulate a machine without PostgreSQL).</summary>
    public IReadOnlyList<string>? BinarySearchDirectories { get; init; }

    /// <summary>The account the server runs as when this process is root (initdb refuses root).</summary>
    public string? ServiceAccount { get; init; }

    /// <summary>Extra server settings (name → value), passed as -c name=value.</summary>
    public IReadOnlyDictionary<string, string> ServerSettings { get; init; } = new Dictionary<string, string>();

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The wait before the first restart of a server that stopped by itself; doubled after each failed attempt.</summary>
    public TimeSpan FirstRestartDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait between restart attempts: a server that cannot come back is tried again this often, for as long as the service runs.</summary>
    public TimeSpan LongestRestartDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The service's default: a folder per user that survives restarts. Root's home is closed to the
    /// unprivileged server account, so root's cluster lives under /var/lib instead.
    /// </summary>
    public static string DefaultDataDirectory() => Environment.IsPrivilegedProcess
        ? "/var/lib/experts-at-hand/postgres"
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "experts-at-hand", "postgres");
}

/// <summary>
/// A private PostgreSQL cluster started from the machine's own server programs, on a free loopback
/// port, for as long as this object lives. Used when no connection string is configured.
/// </summary>
public sealed partial class EmbeddedPostgres : IAsyncDisposable, IDisposable
{
    private const int SigInt = 2;
    private const int SigKill = 9;
    private const string Superuser = "postgres";

    private readonly Launch _launch;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task _supervision = Task.CompletedTask;
    private volatile RunningServer _current;
    private volatile EmbeddedPostgresHealth _health = EmbeddedPostgresHealth.Running(0);
    private int _stopped;

    private readonly string _password;

    private EmbeddedPostgres(RunningServer server, Launch launch, string password, ILogger logger)
    {
        _current = server;
        _launch = launch;
        Port = launch.Port;
        DataDirectory = launch.DataDirectory;
        _password = password;
        _logger = logger;
        // A test run or a service that ends without disposing still takes its server down with it.
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>Whether the server is up, or stopped by itself and is being brought back (with PostgreSQL's own words for why not yet).</summary>
    public EmbeddedPostgresHealth Health => _health;

    /// <summary>
    /// Raised after a server that stopped by itself is accepting connections again: pooled
    /// connections to the old server are dead, and whoever holds a pool should clear it.
    /// </summary>
    public event Action? Restarted;

    public int Port { get; }
    public string DataDirectory { get; }
    public int ServerProcessId => _current.Server.Id;

    /// <summary>A connection string for the maintenance database.</summary>
    public string ConnectionString => ConnectionStringFor("postgres");

    public string ConnectionStringFor(string database) => LoopbackConnectionString(Port, _password, database);

    private static string LoopbackConnectionString(int port, string password, string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = port,
        Username = Superuser,
        Password = password,
        Database = database,
    }.ConnectionString;

    /// <summary>
    /// Where a cluster's password is kept: a file beside its data folder, readable only by the account
    /// that runs the service (the server's own account, when the service is root, cannot read it).
    /// </summary>
    public static string PasswordFileFor(string dataDirectory) => Path.GetFullPath(dataDirectory).TrimEnd(Path.DirectorySeparatorChar) + ".password";

    /// <summary>Only password (SCRAM) connections, and only over loopback: no trust, no Unix socket.</summary>
    private const string LockedHba =
        "# Experts at Hand: every connection needs the password kept beside this folder (SCRAM), and comes from this machine.\n"
        + "host all all 127.0.0.1/32 scram-sha-256\n"
        + "host all all ::1/128 scram-sha-256\n";

    /// <summary>
    /// The connection string of a cluster in <paramref name="dataDirectory"/> that a live instance of
    /// the service is running, or null: a command-line verb that can work alongside the service (an
    /// import) uses that server rather than refusing because the folder is in use.
    /// </summary>
    public static string? RunningServerConnectionString(string dataDirectory, string database)
    {
        var pidFile = Path.Combine(Path.GetFullPath(dataDirectory), "postmaster.pid");
        string[] lines;
        try
        {
            lines = File.Exists(pidFile) ? File.ReadAllLines(pidFile) : [];
        }
        catch (IOException)
        {
            return null;
        }

        // postmaster.pid: the server's pid, data folder, start time, port, socket folder, listen address, …
        if (lines.Length < 4 || !int.TryParse(lines[0], out var pid) || !IsPostgresProcess(pid)
            || !int.TryParse(lines[3], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || ParentOf(pid) is not (> 1 and var parent) || !IsOurKindOfProcess(parent))
        {
            return null;
        }

        var passwordFile = PasswordFileFor(dataDirectory);
        return File.Exists(passwordFile) ? LoopbackConnectionString(port, File.ReadAllText(passwordFile).Trim(), database) : null;
    }

    public static async Task<EmbeddedPostgres> StartAsync(EmbeddedPostgresOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        logger ??= NullLogger.Instance;
        var binaries = PostgresBinaries.Locate(options.BinarySearchDirectories);
        var account = Environment.IsPrivilegedProcess ? ServiceAccountFor(options) : null;
        var dataDirectory = Path.GetFullPath(options.DataDirectory);

        var password = await PrepareDataDirectoryAsync(binaries, dataDirectory, account, options.Durable, logger, cancellationToken).ConfigureAwait(false);
        StopOrphanedServer(dataDirectory, logger);

        // The port is free when we look but may be taken before the server binds it; try a few.
        Exception? lastFailure = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var launch = new Launch(binaries, options, dataDirectory, account, FreeLoopbackPort());
            try
            {
                var server = await LaunchAsync(launch, LoopbackConnectionString(launch.Port, password, "postgres"), logger, cancellationToken).ConfigureAwait(false);
                var instance = new EmbeddedPostgres(server, launch, password, logger);
                try
                {
                    await LockAsync(instance, logger, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    await instance.StopAsync().ConfigureAwait(false);
                    throw;
                }

                instance._supervision = Task.Run(instance.SuperviseAsync, CancellationToken.None);
                return instance;
            }
            catch (EmbeddedPostgresStartException ex) when (ex.Message.Contains("could not bind", StringComparison.OrdinalIgnoreCase))
            {
                lastFailure = ex;
            }
        }

        throw lastFailure!;
    }

    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _supervision.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        var current = _current;
        try
        {
            await StopServerAsync(current.Server).ConfigureAwait(false);
        }
        finally
        {
            KillQuietly(current.Watchdog);
            current.Server.Dispose();
            current.Watchdog?.Dispose();
            _stopping.Dispose();
            NpgsqlConnection.ClearAllPools();
            LogStopped(_logger, DataDirectory);
        }
    }

    private static async Task StopServerAsync(Process server)
    {
        if (server.HasExited)
        {
            return;
        }

        _ = Signal(server.Id, SigInt); // fast shutdown: roll back open transactions, checkpoint, exit
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await server.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            server.Kill(entireProcessTree: true);
        }
    }

    /// <summary>
    /// A server that stops by itself (killed for memory, crashed on a full disk) is started again on
    /// the same port, so the service's connection strings stay right: first after a short wait, then
    /// with the wait doubling up to <see cref="EmbeddedPostgresOptions.LongestRestartDelay"/>, for as
    /// long as the service runs. Until it is back, <see cref="Health"/> says why, in PostgreSQL's words.
    /// </summary>
    private async Task SuperviseAsync()
    {
        var stopping = _stopping.Token;
        var restarts = 0;
        while (true)
        {
            var current = _current;
            await current.Server.WaitForExitAsync(stopping).ConfigureAwait(false);
            if (stopping.IsCancellationRequested)
            {
                return;
            }

            KillQuietly(current.Watchdog);
            LogServerDied(_logger, DataDirectory, $"PostgreSQL stopped by itself (exit code {current.Server.ExitCode}): {current.LastWords()}");
            _health = EmbeddedPostgresHealth.Restarting(restarts, $"It stopped with exit code {current.Server.ExitCode}. {current.FatalWords()}".Trim());

            var delay = _launch.Options.FirstRestartDelay;
            for (var attempt = 1; ; attempt++)
            {
                await Task.Delay(delay, stopping).ConfigureAwait(false);
                try
                {
                    // A server killed outright can leave its children holding the shared memory for a
                    // moment: PostgreSQL refuses to start until they have gone, and the next try succeeds.
                    _current = await LaunchAsync(_launch, LoopbackConnectionString(Port, _password, "postgres"), _logger, stopping).ConfigureAwait(false);
                    current.Server.Dispose();
                    current.Watchdog?.Dispose();
                    restarts++;
                    _health = EmbeddedPostgresHealth.Running(restarts);
                    LogRestarted(_logger, DataDirectory, attempt);
                    NpgsqlConnection.ClearAllPools();
                    try
                    {
                        Restarted?.Invoke();
                    }
                    catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
                    {
                        LogRestartedHandlerFailed(_logger, ex); // a listener's failure must not stop the supervision
                    }

                    break;
                }
                catch (EmbeddedPostgresStartException ex)
                {
                    _health = EmbeddedPostgresHealth.Restarting(restarts, $"Restart {attempt} failed: {(string.IsNullOrEmpty(ex.ServerError) ? "PostgreSQL did not start; the service's log has its output." : ex.ServerError)}");
                    LogRestartFailed(_logger, DataDirectory, attempt, ex.Message);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _launch.Options.LongestRestartDelay.Ticks));
                }
            }
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    public void Dispose() => StopAsync().GetAwaiter().GetResult();

    private void OnProcessExit(object? sender, EventArgs e) => Dispose();

    /// <summary>Creates the cluster if the folder has none. Returns the cluster's password (made now for a new cluster, or for one from before passwords).</summary>
    private static async Task<string> PrepareDataDirectoryAsync(PostgresBinaries binaries, string dataDirectory, string? account, bool durable, ILogger logger, CancellationToken cancellationToken)
    {
        var versionFile = Path.Combine(dataDirectory, "PG_VERSION");
        var hba = Path.Combine(dataDirectory, "pg_hba.conf");
        if (File.Exists(versionFile) && !File.Exists(PasswordFileFor(dataDirectory)) && File.Exists(hba) && File.ReadAllText(hba) == LockedHba)
        {
            throw new EmbeddedPostgresStartException(
                $"The data folder {dataDirectory} is locked with a password, but its password file {PasswordFileFor(dataDirectory)} is missing. Restore the file from a backup, or start from an empty folder.");
        }

        var password = ReadOrCreatePassword(dataDirectory);
        if (File.Exists(versionFile))
        {
            var clusterVersion = (await File.ReadAllTextAsync(versionFile, cancellationToken).ConfigureAwait(false)).Trim();
            if (clusterVersion != binaries.MajorVersion.ToString(CultureInfo.InvariantCulture))
            {
                throw new EmbeddedPostgresStartException(
                    $"The data folder {dataDirectory} holds a PostgreSQL {clusterVersion} cluster but the server found is version {binaries.MajorVersion}; point Postgres__DataDirectory elsewhere or upgrade the cluster with pg_upgrade.");
            }

            return password;
        }

        Directory.CreateDirectory(dataDirectory);
        if (Directory.EnumerateFileSystemEntries(dataDirectory).Any())
        {
            throw new EmbeddedPostgresStartException($"The data folder {dataDirectory} is not empty and holds no PostgreSQL cluster; empty it or choose another folder.");
        }

        if (account is not null)
        {
            // The unprivileged account must own the cluster and be able to reach it.
            await RunAsync("chown", [$"{account}:", dataDirectory], null, cancellationToken).ConfigureAwait(false);
            GrantTraverse(Path.GetDirectoryName(dataDirectory));
        }

        LogInitialising(logger, dataDirectory, binaries.MajorVersion);
        // initdb reads the password from a file the server's account can read; it is gone once initdb is done.
        var passwordForInitdb = Path.Combine(Path.GetTempPath(), "eah-initdb-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(passwordForInitdb, password, cancellationToken).ConfigureAwait(false);
        try
        {
            OwnerOnly(passwordForInitdb);
            if (account is not null)
            {
                await RunAsync("chown", [$"{account}:", passwordForInitdb], null, cancellationToken).ConfigureAwait(false);
            }

            List<string> initdbArguments = ["-D", dataDirectory, "-U", Superuser, "--auth=scram-sha-256", $"--pwfile={passwordForInitdb}", "--encoding=UTF8", "--locale=C", "--no-instructions"];
            if (!durable)
            {
                initdbArguments.Add("--no-sync");
            }

            await RunAsync(binaries.InitDb, initdbArguments, account, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(passwordForInitdb);
        }

        await File.WriteAllTextAsync(Path.Combine(dataDirectory, "pg_hba.conf"), LockedHba, cancellationToken).ConfigureAwait(false);
        return password;
    }

    /// <summary>The cluster's password from its file, or a new strong one written there (0600) for a cluster that has none yet.</summary>
    private static string ReadOrCreatePassword(string dataDirectory)
    {
        var file = PasswordFileFor(dataDirectory);
        if (File.Exists(file))
        {
            return File.ReadAllText(file).Trim();
        }

        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var password = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        using (File.Create(file, 1, FileOptions.None))
        {
        }

        OwnerOnly(file); // before the secret is in it
        File.WriteAllText(file, password);
        return password;
    }

    private static void OwnerOnly(string file)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <summary>
    /// A cluster from before passwords trusted every local connection. Give the superuser the
    /// password, allow nothing but SCRAM over loopback, and reload: from now on the password is needed.
    /// </summary>
    private static async Task LockAsync(EmbeddedPostgres instance, ILogger logger, CancellationToken cancellationToken)
    {
        var hba = Path.Combine(instance.DataDirectory, "pg_hba.conf");
        if (File.ReadAllText(hba) == LockedHba)
        {
            return;
        }

        await using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(instance.ConnectionString) { Pooling = false }.ConnectionString))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            // The password is base64url: nothing in it needs escaping inside a literal.
            await using var alter = new NpgsqlCommand($"SET password_encryption = 'scram-sha-256'; ALTER ROLE {Superuser} PASSWORD '{instance._password}'", connection);
            await alter.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(hba, LockedHba, cancellationToken).ConfigureAwait(false); // the file keeps its owner
            await using var reload = new NpgsqlCommand("SELECT pg_reload_conf()", connection);
            await reload.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        LogLocked(logger, instance.DataDirectory, PasswordFileFor(instance.DataDirectory));
    }

    /// <summary>
    /// A service killed with SIGKILL leaves its server running with nobody to stop it (when even the
    /// watchdog was killed) or leaves a stale postmaster.pid. Either way the next start must recover.
    /// A server whose parent is still a live Experts at Hand process is another instance: refuse.
    /// </summary>
    private static void StopOrphanedServer(string dataDirectory, ILogger logger)
    {
        var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            return;
        }

        var firstLine = File.ReadLines(pidFile).FirstOrDefault();
        if (!int.TryParse(firstLine, out var pid) || !IsPostgresProcess(pid))
        {
            return; // stale: PostgreSQL itself discards a pid file whose process is gone
        }

        var parent = ParentOf(pid);
        if (parent > 1 && IsOurKindOfProcess(parent))
        {
            throw new EmbeddedPostgresStartException(
                $"The data folder {dataDirectory} is in use by another running instance (server process {pid}, owned by process {parent}). Stop it first or set Postgres__DataDirectory to another folder.");
        }

        LogStoppingOrphan(logger, pid, dataDirectory);
        _ = Signal(pid, SigInt);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (IsPostgresProcess(pid) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(100);
        }

        if (IsPostgresProcess(pid))
        {
            _ = Signal(pid, SigKill);
            Thread.Sleep(500);
        }
    }

    /// <summary>Everything needed to start the cluster's server again, on the port it was first given.</summary>
    private sealed record Launch(PostgresBinaries Binaries, EmbeddedPostgresOptions Options, string DataDirectory, string? Account, int Port);

    /// <summary>One run of the server: its process, its watchdog, and its last lines of output.</summary>
    private sealed record RunningServer(Process Server, Process? Watchdog, ConcurrentQueue<string> Log)
    {
        public string LastWords() => string.Join(" | ", Log.TakeLast(8));

        /// <summary>
        /// Only PostgreSQL's FATAL and PANIC lines: what an unauthenticated readiness probe may repeat.
        /// Other lines can quote statements, which the operator's log keeps and nobody else sees.
        /// </summary>
        public string FatalWords() => string.Join(" | ", Log.Where(l => l.Contains("FATAL:", StringComparison.Ordinal) || l.Contains("PANIC:", StringComparison.Ordinal)).TakeLast(2));
    }

    private static async Task<RunningServer> LaunchAsync(Launch launch, string connectionString, ILogger logger, CancellationToken cancellationToken)
    {
        List<string> serverArguments =
        [
            "-D", launch.DataDirectory,
            "-p", launch.Port.ToString(CultureInfo.InvariantCulture),
            "-h", "127.0.0.1",
            "-k", string.Empty, // no Unix socket: /var/run/postgresql may not exist or be writable
            "-c", "max_connections=300",
            "-c", "logging_collector=off",
        ];
        if (!launch.Options.Durable)
        {
            serverArguments.AddRange(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
        }

        foreach (var (name, value) in launch.Options.ServerSettings)
        {
            serverArguments.AddRange(["-c", $"{name}={value}"]);
        }

        // setsid puts the server in its own session so a terminal's Ctrl+C reaches only us; we then
        // stop the server in order, after the host has finished with it.
        var start = CommandFor(launch.Binaries.Server, serverArguments, launch.Account, newSession: true);
        start.RedirectStandardError = true;
        start.RedirectStandardOutput = true;
        var server = Process.Start(start) ?? throw new EmbeddedPostgresStartException($"Could not start {launch.Binaries.Server}.");
        var log = new ConcurrentQueue<string>();
        server.ErrorDataReceived += (_, e) => Remember(log, e.Data, logger);
        server.OutputDataReceived += (_, e) => Remember(log, e.Data, logger);
        server.BeginErrorReadLine();
        server.BeginOutputReadLine();

        var running = new RunningServer(server, StartWatchdog(server.Id), log);
        try
        {
            await WaitUntilAcceptingConnectionsAsync(connectionString, running, launch.Options.StartTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await StopServerAsync(server).ConfigureAwait(false);
            KillQuietly(running.Watchdog);
            server.Dispose();
            running.Watchdog?.Dispose();
            throw;
        }

        LogStarted(logger, launch.Port, launch.DataDirectory);
        return running;
    }

    private static async Task WaitUntilAcceptingConnectionsAsync(string connectionString, RunningServer running, TimeSpan timeout, CancellationToken cancellationToken)
    {
        connectionString = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 2 }.ConnectionString;
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (running.Server.HasExited)
            {
                await running.Server.WaitForExitAsync(cancellationToken).ConfigureAwait(false); // drain the log
                throw new EmbeddedPostgresStartException($"PostgreSQL exited during start-up (code {running.Server.ExitCode}): {running.LastWords()}")
                {
                    ServerError = running.FatalWords(),
                };
            }

            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or SocketException)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new EmbeddedPostgresStartException($"PostgreSQL did not accept connections within {timeout.TotalSeconds:0} s: {running.LastWords()}")
                    {
                        ServerError = running.FatalWords(),
                    };
                }

                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// If this process is killed outright, nothing in it runs again; a tiny shell loop notices and
    /// stops the server so no postgres is left behind.
    /// </summary>
    private static Process? StartWatchdog(int serverPid)
    {
        var script = "while kill -0 \"$1\" 2>/dev/null; do sleep 1; done; kill -INT \"$2\" 2>/dev/null; "
                     + "i=0; while kill -0 \"$2\" 2>/dev/null && [ $i -lt 30 ]; do sleep 1; i=$((i+1)); done; kill -KILL \"$2\" 2>/dev/null; exit 0";
        try
        {
            return Process.Start(CommandFor("/bin/sh", ["-c", script, "watchdog", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), serverPid.ToString(CultureInfo.InvariantCulture)], null, newSession: true));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no setsid or sh: graceful stops still work, only the SIGKILL clean-up is lost
        }
    }

    private static ProcessStartInfo CommandFor(string program, IEnumerable<string> arguments, string? account, bool newSession)
    {
        List<string> prefix = [];
        if (newSession)
        {
            prefix.Add("setsid");
        }

        if (account is not null)
        {
            prefix.AddRange(["setpriv", $"--reuid={account}", $"--regid={account}", "--init-groups", "--"]);
        }

        var fileName = prefix.Count > 0 ? prefix[0] : program;
        var start = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            // The server account cannot read root's home; start somewhere everyone can.
            WorkingDirectory = "/",
        };
        foreach (var part in prefix.Skip(1))
        {
            start.ArgumentList.Add(part);
        }

        if (prefix.Count > 0)
        {
            start.ArgumentList.Add(program);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    private static async Task RunAsync(string program, IEnumerable<string> arguments, string? account, CancellationToken cancellationToken)
    {
        var start = CommandFor(program, arguments, account, newSession: false);
        start.RedirectStandardError = true;
        start.RedirectStandardOutput = true;
        using var process = Process.Start(start) ?? throw new EmbeddedPostgresStartException($"Could not run {program}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new EmbeddedPostgresStartException($"{Path.GetFileName(program)} failed (exit {process.ExitCode}): {(await stderr.ConfigureAwait(false)).Trim()} {(await stdout.ConfigureAwait(false)).Trim()}");
        }
    }

    private static string ServiceAccountFor(EmbeddedPostgresOptions options)
    {
        if (options.ServiceAccount is { } configured)
        {
            return configured;
        }

        if (AccountExists("postgres"))
        {
            return "postgres";
        }

        const string own = "experts-at-hand";
        if (!AccountExists(own))
        {
            RunAsync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", own], null, CancellationToken.None).GetAwaiter().GetResult();
        }

        return own;
    }

    private static bool AccountExists(string name) =>
        File.Exists("/etc/passwd") && File.ReadLines("/etc/passwd").Any(line => line.StartsWith(name + ":", StringComparison.Ordinal));

    private static void GrantTraverse(string? directory)
    {
        // Every folder above the data folder must be searchable by the server account.
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        for (var current = directory; !string.IsNullOrEmpty(current) && current != "/"; current = Path.GetDirectoryName(current))
        {
            var mode = File.GetUnixFileMode(current);
            if (!mode.HasFlag(UnixFileMode.OtherExecute))
            {
                File.SetUnixFileMode(current, mode | UnixFileMode.OtherExecute);
            }
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsPostgresProcess(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim().StartsWith("postgres", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static int ParentOf(int pid)
    {
        try
        {
            // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static bool IsOurKindOfProcess(int pid)
    {
        try
        {
            var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
            return commandLine.Contains("ExpertsAtHand", StringComparison.Ordinal)
                   || commandLine.Contains("testhost", StringComparison.Ordinal)
                   || commandLine.Contains("dotnet", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static void Remember(ConcurrentQueue<string> log, string? line, ILogger logger)
    {
        if (line is null)
        {
            return;
        }

        log.Enqueue(line);
        while (log.Count > 50 && log.TryDequeue(out _))
        {
        }

        LogServerOutput(logger, line);
    }

    private static void KillQuietly(Process? process)
    {
        try
        {
            if (process is { HasExited: false })
            {
                process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static int Signal(int pid, int signal) => NativeSignal(pid, signal);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int NativeSignal(int pid, int signal);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The embedded database in {DataDirectory} trusted every local connection; it now needs the password kept in {PasswordFile}")]
    private static partial void LogLocked(ILogger logger, string dataDirectory, string passwordFile);

    [LoggerMessage(Level = LogLevel.Information, Message = "Initialising a PostgreSQL {Version} cluster in {DataDirectory}")]
    private static partial void LogInitialising(ILogger logger, string dataDirectory, int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded PostgreSQL accepting connections on 127.0.0.1:{Port} (data in {DataDirectory})")]
    private static partial void LogStarted(ILogger logger, int port, string dataDirectory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded PostgreSQL stopped (data in {DataDirectory})")]
    private static partial void LogStopped(ILogger logger, string dataDirectory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping PostgreSQL server {Pid} left running by a previous instance on {DataDirectory}")]
    private static partial void LogStoppingOrphan(ILogger logger, int pid, string dataDirectory);

    [LoggerMessage(Level = LogLevel.Error, Message = "The embedded database in {DataDirectory} stopped by itself; restarting it. {Why}")]
    private static partial void LogServerDied(ILogger logger, string dataDirectory, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The embedded database in {DataDirectory} is back after {Attempts} attempt(s)")]
    private static partial void LogRestarted(ILogger logger, string dataDirectory, int attempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "Restart {Attempt} of the embedded database in {DataDirectory} failed; trying again. {Why}")]
    private static partial void LogRestartFailed(ILogger logger, string dataDirectory, int attempt, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A listener to the embedded database's restart failed")]
    private static partial void LogRestartedHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "postgres: {Line}")]
    private static partial void LogServerOutput(ILogger logger, string line);
}

public sealed class EmbeddedPostgresStartException(string message) : Exception(message)
{
    /// <summary>PostgreSQL's own FATAL or PANIC lines, when it gave any.</summary>
    public string? ServerError { get; init; }
}

/// <summary>The embedded server's state as the supervisor sees it.</summary>
/// <param name="IsRunning">Accepting connections; false while a server that stopped by itself is being restarted.</param>
/// <param name="Restarts">How many times the server has been brought back since the service started.</param>
/// <param name="Problem">While not running: why, in PostgreSQL's own FATAL or PANIC words where it gave any.</param>
public sealed record EmbeddedPostgresHealth(bool IsRunning, int Restarts, string? Problem)
{
    public static EmbeddedPostgresHealth Running(int restarts) => new(true, restarts, null);

    public static EmbeddedPostgresHealth Restarting(int restarts, string problem) => new(false, restarts, problem);
}
