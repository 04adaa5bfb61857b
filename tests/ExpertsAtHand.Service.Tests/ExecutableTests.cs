using Xunit.Abstractions;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;

namespace ExpertsAtHand.Service.Tests;

/// <summary>The built service executable, run as a user would, on the embedded default.</summary>
[Collection("Executable")]
public sealed class ExecutableTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dataFolder = Path.Combine(Path.GetTempPath(), "eah-exe-" + Guid.NewGuid().ToString("N")[..12]);

    // Every service a test started: one a failing assertion left running is stopped when the test ends.
    private readonly List<Process> _started = [];

    [Fact]
    public async Task The_service_survives_kill_9_and_the_next_run_starts_cleanly_on_the_same_data()
    {
        var port = FreePort();
        var first = StartService(port);
        {
            await WaitUntilReadyAsync(first, port);
            var serverPid = EmbeddedServerPid();
            first.Kill(); // SIGKILL: nothing in the service runs again
            await first.WaitForExitAsync();
            await WaitUntilGoneAsync(serverPid); // the watchdog takes the database down
        }

        var second = StartService(port);
        await WaitUntilReadyAsync(second, port);
        var secondServer = EmbeddedServerPid();

        Signal(second.Id, 15); // SIGTERM, as a service manager stops it
        await second.WaitForExitAsync();
        Assert.Equal(0, second.ExitCode);
        Assert.False(IsAlive(secondServer), "SIGTERM must stop the embedded PostgreSQL too");
    }

    [Fact]
    public async Task When_its_embedded_database_dies_the_service_says_so_in_readiness_brings_it_back_and_serves_again()
    {
        var port = FreePort();
        var service = StartService(port, ("Postgres__FirstRestartDelay", "00:00:03"));
        await WaitUntilReadyAsync(service, port);
        var (_, token, _) = await RunVerbAsync("token", "--role", "coordinator", "--tenant", "demo");
        using var client = new HttpClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token.Trim());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"http://127.0.0.1:{port}/api/triage-queue")).StatusCode);

        var killed = EmbeddedServerPid();
        Signal(killed, 9); // the database alone, as an out-of-memory kill would

        // A backend can outlive its killed server for a moment, so the first answers may still be 200;
        // then 503, at first merely unreachable, then explained.
        var said = string.Empty;
        var status = HttpStatusCode.OK;
        for (var i = 0; i < 50 && !said.Contains("stopped by itself and is being restarted", StringComparison.Ordinal); i++)
        {
            var unready = await client.GetAsync($"http://127.0.0.1:{port}/health/ready");
            (status, said) = (unready.StatusCode, await unready.Content.ReadAsStringAsync());
            await Task.Delay(100);
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("stopped by itself and is being restarted", said, StringComparison.Ordinal);
        var during = await client.GetAsync($"http://127.0.0.1:{port}/api/triage-queue");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
        Assert.NotNull(during.Headers.RetryAfter);

        await WaitUntilReadyAsync(service, port);
        Assert.NotEqual(killed, EmbeddedServerPid());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"http://127.0.0.1:{port}/api/triage-queue")).StatusCode);
        Signal(service.Id, 15);
        await service.WaitForExitAsync();
        Assert.Equal(0, service.ExitCode);
    }

    [Fact]
    public async Task When_the_node_running_the_projections_is_killed_the_other_node_on_the_database_takes_them_over_within_15_seconds()
    {
        await using var database = await Testing.TestPostgres.CreateDatabaseAsync();
        var key = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("a test signing key of thirty-two bytes!!"));
        // Both nodes read the same master key file, as nodes of one service share their secrets.
        var masterKey = Path.Combine(Path.GetTempPath(), "eah-test-keys", $"{database.Name}-nodes.master-key");
        (string, string)[] shared = [("ConnectionStrings__Postgres", database.ConnectionString), ("Auth__SigningKey", key), ("Demo__Seed", "false"), ("Protection__MasterKeyFile", masterKey)];
        var ports = new[] { FreePort(), FreePort() };
        var first = StartService(ports[0], shared);
        await WaitUntilReadyAsync(first, ports[0]); // one at a time: each applies the schema as it starts
        var second = StartService(ports[1], shared);
        await WaitUntilReadyAsync(second, ports[1]);
        var (_, token, _) = await RunVerbAsync("token", "--role", "administrator", "--tenant", "north", $"--Auth:SigningKey={key}");
        using var client = new HttpClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token.Trim());
        async Task<System.Text.Json.Nodes.JsonArray> StatusAsync(int port) =>
            (await client.GetFromJsonAsync<System.Text.Json.Nodes.JsonArray>($"http://127.0.0.1:{port}/api/admin/projections"))!;
        async Task RegisterAsync(int port, string urn) => Assert.Equal(HttpStatusCode.Created, (await client.PutAsJsonAsync($"http://127.0.0.1:{port}/api/settings/{urn}", new
        {
            name = $"School {urn}", phase = "Primary", locality = "North", inArea = true, numberOnRoll = 200, percentFsm = 10, percentSenSupport = 12, percentEhcp = 2, open = true,
        })).StatusCode);

        // One node holds the daemon (hot), the other waits (cold).
        int? hot = null;
        for (var i = 0; i < 100 && hot is null; i++)
        {
            foreach (var port in ports)
            {
                if ((await StatusAsync(port)).All(p => p!["runningHere"]!.GetValue<bool>()))
                {
                    hot = port;
                }
            }

            await Task.Delay(200);
        }

        Assert.NotNull(hot);
        var (leader, survivorPort) = hot == ports[0] ? (first, ports[1]) : (second, ports[0]);
        var survivorStatus = await StatusAsync(survivorPort);
        Assert.All(survivorStatus, p => Assert.False(p!["runningHere"]!.GetValue<bool>()));
        Assert.NotEqual((await StatusAsync(hot.Value))[0]!["node"]!.GetValue<string>(), survivorStatus[0]!["node"]!.GetValue<string>()); // each node names itself
        await RegisterAsync(survivorPort, "100000");

        leader.Kill(); // SIGKILL, mid-work as far as the survivor knows
        var killed = Stopwatch.StartNew();
        await RegisterAsync(survivorPort, "100001");
        while (killed.Elapsed < TimeSpan.FromSeconds(30))
        {
            var status = await StatusAsync(survivorPort);
            if (status.All(p => p!["runningHere"]!.GetValue<bool>() && p["lag"]!.GetValue<long>() == 0))
            {
                break;
            }

            await Task.Delay(200);
        }

        var tookOver = killed.Elapsed;
        output.WriteLine($"the surviving node ran the projections and caught up {tookOver.TotalSeconds:0.0} s after the kill");
        Assert.True(tookOver < TimeSpan.FromSeconds(15), $"the surviving node took {tookOver.TotalSeconds:0.0} s to run the projections and catch up");
        Assert.Equal(2L, await database.ScalarAsync<long>("SELECT count(*) FROM rpt_settings")); // both settings, each once
        File.Delete(masterKey);
    }

    [Fact]
    public async Task Every_request_acknowledged_before_a_kill_9_under_load_is_there_after_the_restart()
    {
        var port = FreePort();
        var first = StartService(port, ("RateLimits__PerSubject__Burst", "100000"), ("RateLimits__PerSubject__PerSecond", "100000"));
        await WaitUntilReadyAsync(first, port);
        var (_, token, _) = await RunVerbAsync("token", "--role", "senco", "--tenant", "demo", "--urn", "990001");
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token.Trim());
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<Guid>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var response = await client.PostAsJsonAsync($"http://127.0.0.1:{port}/api/requests", ApiBuilders.RaiseBody("990001"));
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        acknowledged.Add((await response.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!["id"]!.GetValue<Guid>());
                    }
                }
                catch (HttpRequestException)
                {
                    return; // the service is gone: what it answered before is what counts
                }
                catch (TaskCanceledException)
                {
                    return;
                }
            }
        })).ToList();
        while (acknowledged.Count < 50)
        {
            await Task.Delay(50);
        }

        first.Kill(); // SIGKILL mid-load: commands in flight were never acknowledged
        await stop.CancelAsync();
        await Task.WhenAll(writers);
        await first.WaitForExitAsync();

        var second = StartService(port);
        await WaitUntilReadyAsync(second, port);
        var missing = new List<Guid>();
        foreach (var id in acknowledged)
        {
            if ((await client.GetAsync($"http://127.0.0.1:{port}/api/requests/{id}")).StatusCode != HttpStatusCode.OK)
            {
                missing.Add(id);
            }
        }

        output.WriteLine($"{acknowledged.Count} requests acknowledged before the kill, {missing.Count} missing after the restart");
        Assert.Empty(missing);
    }

    [Fact]
    public async Task A_configuration_override_after_a_repeatable_option_is_configuration_not_a_claim()
    {
        var key = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("a test signing key of thirty-two bytes!!"));
        var (exit, output, _) = await RunVerbAsync("token", "--role", "senco", "--tenant", "demo", "--urn", "990076", "990077", $"--Auth:SigningKey={key}");

        Assert.Equal(0, exit);
        var parts = output.Trim().Split('.');
        var payload = System.Text.Json.Nodes.JsonNode.Parse(Base64Url(parts[1]))!;
        Assert.Equal(["990076", "990077"], payload["urn"]!.AsArray().Select(u => u!.GetValue<string>()));
        // Signed with the key the override named, not the default one.
        using var hmac = new System.Security.Cryptography.HMACSHA256(Convert.FromBase64String(key));
        var signature = hmac.ComputeHash(System.Text.Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"));
        Assert.Equal(Convert.ToBase64String(signature).TrimEnd('=').Replace('+', '-').Replace('/', '_'), parts[2]);

        var (missing, _, error) = await RunVerbAsync("token", "--role", "senco", "--tenant", "--urn", "990076");
        Assert.NotEqual(0, missing);
        Assert.Contains("--tenant", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Practitioners_import_from_the_command_line_while_the_service_runs_on_the_embedded_database()
    {
        var port = FreePort();
        var service = StartService(port);
        await WaitUntilReadyAsync(service, port);
        var csv = Path.Combine(_dataFolder + "-files", "team.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(csv)!);
        await File.WriteAllTextAsync(csv, "Id,Name,Discipline,Provider,Localities,WeeklyCapacityHours,Active\nep-new,New EP,EducationalPsychology,LocalAuthorityTeam,Riverside,22.5,yes\n");

        var (exit, output, error) = await RunVerbAsync("import", "practitioners", csv, "--tenant", "demo");

        Assert.True(exit == 0, $"exit {exit}: {output} {error}");
        var (_, token, _) = await RunVerbAsync("token", "--role", "coordinator", "--tenant", "demo");
        using var client = new HttpClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token.Trim());
        var imported = await client.GetAsync($"http://127.0.0.1:{port}/api/practitioners/ep-new");
        Assert.Equal(HttpStatusCode.OK, imported.StatusCode);
        Assert.Empty(imported.Headers.Server); // Kestrel says nothing about what serves us
        using var viaProxy = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/health/live");
        viaProxy.Headers.Add("X-Forwarded-Proto", "https"); // a TLS-terminating proxy on this machine
        Assert.True((await client.SendAsync(viaProxy)).Headers.Contains("Strict-Transport-Security"));
        Signal(service.Id, 15);
        await service.WaitForExitAsync();
    }

    private async Task<(int Exit, string Output, string Error)> RunVerbAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ExpertsAtHand.Service.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["Postgres__DataDirectory"] = _dataFolder;
        start.Environment.Remove("ConnectionStrings__Postgres");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }

    private static string Base64Url(string value)
    {
        var padded = value.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - (padded.Length % 4)) % 4);
        return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(padded));
    }

    private Process StartService(int port, params (string Name, string Value)[] environment)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "ExpertsAtHand.Service.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "serve", "--urls", $"http://127.0.0.1:{port}" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["Postgres__DataDirectory"] = _dataFolder;
        start.Environment.Remove("ConnectionStrings__Postgres");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        _started.Add(process);
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitUntilReadyAsync(Process service, int port)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var attempt = 0; attempt < 240; attempt++)
        {
            Assert.False(service.HasExited, $"the service exited with code {(service.HasExited ? service.ExitCode : 0)}");
            try
            {
                var response = await client.GetAsync($"http://127.0.0.1:{port}/health/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(250);
        }

        Assert.Fail("the service never became ready");
    }

    private int EmbeddedServerPid() => int.Parse(File.ReadLines(Path.Combine(_dataFolder, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);

    private static async Task WaitUntilGoneAsync(int pid)
    {
        for (var i = 0; i < 200 && IsAlive(pid); i++)
        {
            await Task.Delay(100);
        }

        Assert.False(IsAlive(pid), "the embedded PostgreSQL outlived the killed service");
    }

    private static bool IsAlive(int pid) =>
        File.Exists($"/proc/{pid}/comm") && File.ReadAllText($"/proc/{pid}/comm").StartsWith("postgres", StringComparison.Ordinal);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Signal(int pid, int signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public void Dispose()
    {
        foreach (var process in _started)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
            }

            process.Dispose();
        }

        foreach (var folder in new[] { _dataFolder, _dataFolder + "-files" })
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
            }
        }

        File.Delete(Infrastructure.Postgres.EmbeddedPostgres.PasswordFileFor(_dataFolder));
        File.Delete(_dataFolder + ".master-key"); // the master key the service made beside the data
    }
}
