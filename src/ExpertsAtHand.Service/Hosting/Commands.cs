using ExpertsAtHand.EventStore.Postgres;

namespace ExpertsAtHand.Service.Hosting;

/// <summary>What each command-line verb does.</summary>
internal static class Commands
{
    public static async Task<int> ServeAsync(string[] args, CancellationToken cancellationToken)
    {
        var configuration = BootstrapConfiguration(args);
        using var loggers = BootstrapLoggers();
        var logger = loggers.CreateLogger("ExpertsAtHand.Startup");
        try
        {
            await using var database = await DatabaseLease.AcquireAsync(configuration, logger, cancellationToken).ConfigureAwait(false);
            var app = ServiceHost.Build(ServiceHost.CreateBuilder(args, database.ConnectionString));
            await using (app.ConfigureAwait(false))
            {
                await ServiceHost.MigrateAsync(app, cancellationToken).ConfigureAwait(false);
                await app.RunAsync().ConfigureAwait(false);
            }

            return 0;
        }
        catch (Exception ex) when (ex is PostgresBinariesNotFoundException or EmbeddedPostgresStartException)
        {
            await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 2;
        }
    }

    public static async Task<int> MigrateAsync(string[] args, CancellationToken cancellationToken)
    {
        var configuration = BootstrapConfiguration(args);
        using var loggers = BootstrapLoggers();
        var logger = loggers.CreateLogger("ExpertsAtHand.Migrate");
        try
        {
            await using var database = await DatabaseLease.AcquireAsync(configuration, logger, cancellationToken).ConfigureAwait(false);
            await using var dataSource = Npgsql.NpgsqlDataSource.Create(database.ConnectionString);
            var report = await new MigrationRunner(dataSource, loggers.CreateLogger<MigrationRunner>()).ApplyAsync(Schema.Migrations, cancellationToken).ConfigureAwait(false);
            Spectre.Console.AnsiConsole.MarkupLine($"[green]{report.Applied.Count}[/] migration(s) applied, {report.AlreadyApplied.Count} already in place.");
            return 0;
        }
        catch (Exception ex) when (ex is PostgresBinariesNotFoundException or EmbeddedPostgresStartException)
        {
            await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 2;
        }
    }

    /// <summary>The same sources the web host reads, available before the host exists.</summary>
    private static IConfigurationRoot BootstrapConfiguration(string[] args) => new ConfigurationBuilder()
        .SetBasePath(AppContext.BaseDirectory)
        .AddJsonFile("appsettings.json", optional: true)
        .AddJsonFile($"appsettings.{Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? "Production"}.json", optional: true)
        .AddEnvironmentVariables()
        .AddCommandLine(args)
        .Build();

    private static ILoggerFactory BootstrapLoggers() =>
        LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information));
}
