using System.Net.Http.Headers;
using ExpertsAtHand.Messaging;
using ExpertsAtHand.Messaging.Notifications;
using ExpertsAtHand.Service.Hosting;
using ExpertsAtHand.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Alba;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ExpertsAtHand.Service.Tests;

/// <summary>
/// The real service pipeline in an Alba host (ASP.NET Core's test server), on its own fresh database,
/// with a clock the test moves and the message worker driven by the test rather than in the background.
/// </summary>
public sealed class ServiceApp : IAsyncDisposable
{
    public const string Tenant = "test-area";
    private static readonly string SigningKey = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("a test signing key of thirty-two bytes!!"));

    private ServiceApp(IAlbaHost host, TestDatabase database, ManualClock clock)
    {
        Host = host;
        Database = database;
        Clock = clock;
        Client = host.Server.CreateClient();
    }

    /// <summary>The Alba host, for scenarios: <c>await app.Host.Scenario(s => …)</c>.</summary>
    public IAlbaHost Host { get; }

    /// <summary>An anonymous client; see <see cref="As"/> for one with a token.</summary>
    public HttpClient Client { get; }
    public TestDatabase Database { get; }
    public ManualClock Clock { get; }
    public IServiceProvider Services => Host.Services;
    public LocalNotifyServer Notify => Services.GetRequiredService<LocalNotifyServer>();

    /// <param name="configure">More services for this host, before it is built.</param>
    /// <param name="arguments">Command-line configuration read while the host is composed (`--Key=value`).</param>
    public static async Task<ServiceApp> StartAsync(DateTimeOffset? now = null, Action<WebApplicationBuilder>? configure = null, IEnumerable<string>? arguments = null)
    {
        var database = await TestPostgres.CreateDatabaseAsync(Schema.Migrations);
        var clock = new ManualClock(now ?? new DateTimeOffset(2026, 10, 5, 9, 0, 0, TimeSpan.FromHours(1)));
        var builder = ServiceHost.CreateBuilder(["--Logging:LogLevel:Default=Warning", .. arguments ?? []], database.ConnectionString);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:SigningKey"] = SigningKey,
            ["Messaging:RunWorkers"] = "false",
            ["Projections:RunDaemon"] = "false",
        });
        builder.Services.AddSingleton<TimeProvider>(clock);
        configure?.Invoke(builder);
        return new ServiceApp(await AlbaHost.For(builder, ServiceHost.Configure), database, clock);
    }

    /// <summary>A client carrying a development token for this caller. Tokens use the real clock: JWT validation does.</summary>
    public HttpClient As(string role, string? urn = null, string? practitioner = null, string tenant = Tenant, string subject = "user-1")
    {
        var configuration = Services.GetRequiredService<IConfiguration>();
        var token = Identity.MintDevelopmentToken(configuration, new Caller(subject, role, tenant, urn is null ? [] : [urn], practitioner), TimeSpan.FromHours(1), TimeProvider.System);
        var client = Host.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Seeds the demo area as the service does on first start, on the test clock; false when it was there already.</summary>
    public Task<bool> SeedDemoAsync() => Features.Demo.DemoArea.SeedIfEmptyAsync(
        Services.GetRequiredService<EventStore.EventStore>(),
        Services.GetRequiredService<MessageBus>(),
        Services.GetRequiredService<Npgsql.NpgsqlDataSource>(),
        Services.GetRequiredService<Features.Requests.RequestRulesCatalog>(),
        Services.GetRequiredService<Features.Allocations.EntitlementCatalog>(),
        Services.GetRequiredService<Features.Requests.RequestReferences>(),
        Clock,
        CancellationToken.None);

    /// <summary>Delivers every message due at the test clock's now.</summary>
    public Task<int> DeliverDueMessagesAsync() => Services.GetRequiredService<MessageWorker>().RunUntilIdleAsync();

    /// <summary>Brings every async projection up to everything committed so far.</summary>
    public async Task CatchUpProjectionsAsync()
    {
        var daemon = Services.GetRequiredService<EventStore.ProjectionDaemon>();
        foreach (var name in daemon.ProjectionNames)
        {
            await daemon.CatchUpAsync(name);
        }
    }

    public Task<long> EventCountAsync() => Database.ScalarAsync<long>("SELECT count(*) FROM eah_events");

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
        await Database.DisposeAsync();
    }
}

public static class RepositoryRoot
{
    public static string Find()
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
