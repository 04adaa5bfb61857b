using System.Net.Http.Headers;
using ExpertsAtHand.Infrastructure.Notifications;
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
        // Read while the host is composed: the daemon and Wolverine's scheduler are the test's to drive.
        var builder = ServiceHost.CreateBuilder(["--Logging:LogLevel:Default=Warning", "--Messaging:RunWorkers=false", "--Projections:RunDaemon=false", .. arguments ?? []], database.ConnectionString);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:SigningKey"] = SigningKey,
            ["Protection:MasterKeyFile"] = MasterKeyFileFor(database),
        });
        builder.Services.AddSingleton<TimeProvider>(clock);
        configure?.Invoke(builder);
        var host = await AlbaHost.For(builder, ServiceHost.Configure);
        await host.Services.GetRequiredService<Marten.IDocumentStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync(); // as the service does before it serves
        return new ServiceApp(host, database, clock);
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
    public Task<bool> SeedDemoAsync() => Features.Demo.DemoArea.SeedIfEmptyAsync(Services, Clock, CancellationToken.None);

    /// <summary>
    /// Delivers the scheduled messages due at the test clock's now, and whatever they send in turn,
    /// and says how many were handled. Wolverine schedules by the wall clock, so its own scheduler is
    /// off in tests (Messaging:RunWorkers=false) and this takes its place.
    /// </summary>
    public Task<int> DeliverDueMessagesAsync() => DueMessages.DeliverAsync(Host, Database, Clock.GetUtcNow());

    /// <summary>Brings every async projection up to everything committed so far, with Marten's daemon in catch-up mode.</summary>
    public async Task CatchUpProjectionsAsync() => await (await DaemonAsync()).CatchUpAsync(TimeSpan.FromSeconds(60), CancellationToken.None);

    /// <summary>Empties a report projection's tables and replays the log into them, as the rebuild verb does.</summary>
    public async Task RebuildAsync(string projection) => await (await DaemonAsync()).RebuildProjectionAsync(projection, TimeSpan.FromSeconds(60), CancellationToken.None);

    // One daemon for the test's host, as a node has: each keeps what it knows of the projections' progress.
    private JasperFx.Events.Daemon.IProjectionDaemon? _daemon;

    private async Task<JasperFx.Events.Daemon.IProjectionDaemon> DaemonAsync() =>
        _daemon ??= await Services.GetRequiredService<Marten.IDocumentStore>().BuildProjectionDaemonAsync();

    public Task<long> EventCountAsync() => Database.ScalarAsync<long>("SELECT count(*) FROM mt_events");

    /// <summary>The master key file of this test's database: made by the service on first use, removed with the database.</summary>
    public static string MasterKeyFileFor(TestDatabase database) => Path.Combine(Path.GetTempPath(), "eah-test-keys", database.Name + ".master-key");

    public string MasterKeyFile => MasterKeyFileFor(Database);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
        await Database.DisposeAsync();
        File.Delete(MasterKeyFile);
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
