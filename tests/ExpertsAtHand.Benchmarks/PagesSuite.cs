using System.Diagnostics;
using System.Globalization;
using ExpertsAtHand.Service.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Npgsql;

namespace ExpertsAtHand.Benchmarks;

/// <summary>
/// Speed as users feel it: each main page of the demonstration area, its server time (the answer to
/// a GET with the page session, on loopback) and its full load in Debian's Chromium (largest contentful
/// paint), as medians over repeated visits after warming up.
/// </summary>
internal static class PagesSuite
{
    public static async Task<string> RunAsync(bool quick)
    {
        var runs = quick ? 10 : 30;
        await using var cluster = await BenchmarkCluster.StartAsync();
        var keyFile = Path.Combine(Path.GetTempPath(), $"eah-bench-{Guid.NewGuid():N}.master-key");
        var builder = ServiceHost.CreateBuilder(["--urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning", $"--Protection:MasterKeyFile={keyFile}"], cluster.ConnectionString);
        await using var app = ServiceHost.Build(builder);
        await ServiceHost.MigrateAsync(app, default);
        await app.StartAsync();
        await Service.Features.Demo.DemoArea.SeedIfEmptyAsync(app.Services, TimeProvider.System, default);
        var baseUrl = app.Urls.First();
        var someRequest = await FirstRequestAsync(app.Services.GetRequiredService<NpgsqlDataSource>());

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });

        var pages = new (string Person, string Path)[]
        {
            ("senco", "/requests"), ("senco", "/requests/new"), ("coordinator", "/requests/triage"),
            ("coordinator", $"/requests/{someRequest}"), ("coordinator", "/requests"), ("commissioner", "/dashboard"),
            ("commissioner", $"/dashboard/what-if?from={new DateOnly(DateTime.UtcNow.Month >= 9 ? DateTime.UtcNow.Year : DateTime.UtcNow.Year - 1, 9, 1):yyyy-MM-dd}&to={DateTime.UtcNow:yyyy-MM-dd}&policy=Fair"),
            ("senco", "/clinics"), ("senco", "/entitlement"), ("coordinator", "/clinics"), ("coordinator", "/clinics/new"), ("coordinator", "/team"),
            ("coordinator", "/outreach"), ("coordinator", "/you-said-we-did"), ("practitioner", "/requests"), ("practitioner", "/clinics"), ("administrator", "/admin"), ("administrator", "/admin/imports"),
        };
        double worstServer = 0, worstLoad = 0;
        foreach (var group in pages.GroupBy(p => p.Person))
        {
            await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl });
            var page = await context.NewPageAsync();
            await page.GotoAsync("/sign-in");
            await page.CheckAsync($"input[name=person][value={group.Key}]");
            await page.ClickAsync("button:has-text('Sign in')");
            foreach (var (_, path) in group)
            {
                var server = new List<double>();
                var load = new List<double>();
                for (var i = 0; i < runs + 3; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    var answer = await page.APIRequest.GetAsync(path);
                    await answer.BodyAsync();
                    var serverMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    if (answer.Status != 200)
                    {
                        throw new InvalidOperationException($"{path} answered {answer.Status} for the {group.Key}.");
                    }

                    await page.GotoAsync(path, new PageGotoOptions { WaitUntil = WaitUntilState.Load });
                    var lcp = await page.EvaluateAsync<double>(
                        "() => new Promise(resolve => new PerformanceObserver(list => { const entries = list.getEntries(); resolve(entries[entries.length - 1].startTime); }).observe({ type: 'largest-contentful-paint', buffered: true }))");
                    if (i >= 3)
                    {
                        server.Add(serverMs);
                        load.Add(lcp);
                    }
                }

                server.Sort();
                load.Sort();
                var (serverMedian, loadMedian) = (server[server.Count / 2], load[load.Count / 2]);
                worstServer = Math.Max(worstServer, serverMedian);
                worstLoad = Math.Max(worstLoad, loadMedian);
                Console.WriteLine($"page {group.Key,-12} {path,-50} server median {serverMedian,6:0.0} ms  p90 {server[(int)(server.Count * 0.9)],6:0.0} ms  largest contentful paint median {loadMedian,6:0} ms");
            }
        }

        await app.StopAsync();
        File.Delete(keyFile);
        return $"pages worst_server_median_ms={worstServer.ToString("0.0", CultureInfo.InvariantCulture)} worst_lcp_median_ms={worstLoad.ToString("0", CultureInfo.InvariantCulture)}";
    }

    private static async Task<Guid> FirstRequestAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT request_id FROM rm_requests WHERE tenant_id = 'demo' ORDER BY raised_at DESC LIMIT 1");
        return (Guid)(await command.ExecuteScalarAsync())!;
    }
}
