using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ExpertsAtHand.Service.Tests;

/// <summary>The built service executable, run as a user would, on the embedded default.</summary>
[Collection("Executable")]
public sealed class ExecutableTests : IDisposable
{
    private readonly string _dataFolder = Path.Combine(Path.GetTempPath(), "eah-exe-" + Guid.NewGuid().ToString("N")[..12]);

    [Fact]
    public async Task The_service_survives_kill_9_and_the_next_run_starts_cleanly_on_the_same_data()
    {
        var port = FreePort();
        using (var first = StartService(port))
        {
            await WaitUntilReadyAsync(first, port);
            var serverPid = EmbeddedServerPid();
            first.Kill(); // SIGKILL: nothing in the service runs again
            await first.WaitForExitAsync();
            await WaitUntilGoneAsync(serverPid); // the watchdog takes the database down
        }

        using var second = StartService(port);
        await WaitUntilReadyAsync(second, port);
        var secondServer = EmbeddedServerPid();

        Signal(second.Id, 15); // SIGTERM, as a service manager stops it
        await second.WaitForExitAsync();
        Assert.Equal(0, second.ExitCode);
        Assert.False(IsAlive(secondServer), "SIGTERM must stop the embedded PostgreSQL too");
    }

    private Process StartService(int port)
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
        var process = Process.Start(start)!;
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
        try
        {
            Directory.Delete(_dataFolder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
