using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using ExpertsAtHand.Service.Hosting;
using ExpertsAtHand.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Playwright;

namespace ExpertsAtHand.Pages.Tests;

/// <summary>
/// The real service on a real port (Kestrel), on its own database with the demonstration area, and
/// Debian's Chromium driven by Playwright: one of each per test class.
/// </summary>
public class PagesService : IAsyncLifetime
{
    private TestDatabase? _database;
    private WebApplication? _app;
    private IPlaywright? _playwright;

    public string BaseUrl { get; private set; } = string.Empty;

    public IBrowser Browser { get; private set; } = null!;

    public static string Screenshots { get; } = Path.Combine(RepositoryRoot(), "artifacts", "screenshots");

    /// <summary>The running service's own services (its database, to look up what a test needs).</summary>
    public IServiceProvider Services => _app!.Services;

    /// <summary>Settings a variant of the service runs with, on top of the tests' own.</summary>
    protected virtual Task<IReadOnlyDictionary<string, string?>> SettingsAsync() => Task.FromResult<IReadOnlyDictionary<string, string?>>(new Dictionary<string, string?>());

    public virtual async Task InitializeAsync()
    {
        _database = await TestPostgres.CreateDatabaseAsync(Schema.Migrations);
        // A variant's settings go on the command line: some (the authority) decide which parts the service is built with.
        var variant = (await SettingsAsync()).Select(s => $"--{s.Key}={s.Value}");
        var builder = ServiceHost.CreateBuilder(["--urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning", "--Messaging:RunWorkers=false", .. variant], _database.ConnectionString);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Protection:MasterKeyFile"] = Path.Combine(Path.GetTempPath(), "eah-test-keys", _database.Name + ".master-key"),
            ["Auth:SigningKey"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("a test signing key of thirty-two bytes!!")),
        });
        _app = ServiceHost.Build(builder);
        await ServiceHost.MigrateAsync(_app, CancellationToken.None);
        await _app.StartAsync();
        await Service.Features.Demo.DemoArea.SeedIfEmptyAsync(_app.Services, TimeProvider.System, CancellationToken.None);
        BaseUrl = _app.Urls.First();

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            // As the machine's notes say: no sandbox as root, and no background calls to a network that is closed.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        Directory.CreateDirectory(Screenshots);
    }

    public async Task<IPage> PageAsync(bool javaScript = true)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseUrl, JavaScriptEnabled = javaScript, ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        return await context.NewPageAsync();
    }

    /// <summary>Signs in through the development sign-in page as one of the demonstration area's people.</summary>
    public static async Task SignInAsync(IPage page, string person)
    {
        await page.GotoAsync("/sign-in");
        await page.CheckAsync($"input[name=person][value={person}]");
        await page.ClickAsync("button:has-text('Sign in')");
    }

    /// <summary>Opens the newest request in the signed-in person's list whose status reads one of <paramref name="statuses"/>, looking through the list's pages.</summary>
    public static async Task OpenFirstRequestAsync(IPage page, params string[] statuses)
    {
        for (var number = 1; number < 10; number++)
        {
            await page.GotoAsync($"/requests?p={number}");
            foreach (var status in statuses)
            {
                var rows = page.Locator("tbody tr", new PageLocatorOptions { HasText = status });
                if (await rows.CountAsync() > 0)
                {
                    await rows.First.Locator("th a").ClickAsync();
                    return;
                }
            }
        }

        throw new InvalidOperationException($"No request reads {string.Join(" or ", statuses)} in the first pages of the list.");
    }

    /// <summary>axe's WCAG 2.2 A and AA rules on the page as it stands, and a screenshot of it (axe runs in the page: JavaScript must be on).</summary>
    public static async Task<IReadOnlyList<string>> CheckAsync(IPage page, string name)
    {
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });
        var result = await page.RunAxe(new AxeRunOptions { RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] } });
        return [.. result.Violations.Select(v => $"{name}: {v.Id} ({v.Impact}) {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}")];
    }

    public virtual async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        if (_database is not null)
        {
            File.Delete(Path.Combine(Path.GetTempPath(), "eah-test-keys", _database.Name + ".master-key"));
            await _database.DisposeAsync();
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ExpertsAtHand.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("ExpertsAtHand.sln not found above the test binaries.");
    }
}
