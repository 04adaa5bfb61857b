using ExpertsAtHand.Service.Hosting;
using ExpertsAtHand.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;

namespace ExpertsAtHand.Service.Tests;

/// <summary>The real service pipeline over the ASP.NET Core test server, on its own fresh database.</summary>
public sealed class ServiceApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ServiceApp(WebApplication app, TestDatabase database)
    {
        _app = app;
        Database = database;
        Client = app.GetTestClient();
    }

    public HttpClient Client { get; }
    public TestDatabase Database { get; }
    public IServiceProvider Services => _app.Services;

    public static async Task<ServiceApp> StartAsync()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        var builder = ServiceHost.CreateBuilder(["--Logging:LogLevel:Default=Warning"], database.ConnectionString);
        builder.WebHost.UseTestServer();
        var app = ServiceHost.Build(builder);
        await ServiceHost.MigrateAsync(app, CancellationToken.None);
        await app.StartAsync();
        return new ServiceApp(app, database);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
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
