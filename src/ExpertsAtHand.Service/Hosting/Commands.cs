using ExpertsAtHand.Infrastructure.Postgres;
using Spectre.Console;

namespace ExpertsAtHand.Service.Hosting;

/// <summary>What each command-line verb does.</summary>
internal static partial class Commands
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Seeded the demo local area '{Tenant}'. Mint a token with: dotnet run --project src/ExpertsAtHand.Service -- token --role coordinator --tenant {Tenant}")]
    private static partial void LogSeeded(ILogger logger, string tenant);

    [LoggerMessage(Level = LogLevel.Error, Message = "Seeding the demo area stopped: the database could not be reached")]
    private static partial void LogSeedFailed(ILogger logger, Exception exception);

    public static Task<int> ServeAsync(string[] args, CancellationToken cancellationToken) =>
        WithDatabaseAsync(BootstrapConfiguration(args), "ExpertsAtHand.Startup", async (database, _, logger) =>
        {
            var app = await OpenServiceAsync(args, database, cancellationToken).ConfigureAwait(false);
            await using (app.ConfigureAwait(false))
            {
                // Started first: the demo's scheduled SLA checks go through Wolverine, which runs only in a
                // started host. Readiness says 503 until the demo is in place.
                var startup = app.Services.GetRequiredService<StartupState>();
                startup.Preparing = "The demo area is being seeded.";
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    if (app.Configuration.GetValue("Demo:Seed", true) && await SeedDemoAreaAsync(app, cancellationToken).ConfigureAwait(false))
                    {
                        LogSeeded(logger, Features.Demo.DemoArea.Tenant);
                    }
                }
                catch (Exception ex) when (ex is Npgsql.NpgsqlException or Marten.Exceptions.MartenCommandException)
                {
                    LogSeedFailed(logger, ex); // the database went away meanwhile; the next start seeds an area still empty
                }
                finally
                {
                    startup.Preparing = null;
                }

                await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            }

            return 0;
        }, cancellationToken);

    private static Task<bool> SeedDemoAreaAsync(WebApplication app, CancellationToken cancellationToken) =>
        Features.Demo.DemoArea.SeedIfEmptyAsync(app.Services, app.Services.GetRequiredService<TimeProvider>(), cancellationToken);

    public static Task<int> MigrateAsync(string[] args, CancellationToken cancellationToken) =>
        WithDatabaseAsync(BootstrapConfiguration(args), "ExpertsAtHand.Migrate", async (database, _, _) =>
        {
            // Marten's and Wolverine's tables first, then ours (what the service does as it starts).
            var app = await OpenServiceAsync(args, database, cancellationToken).ConfigureAwait(false);
            await using var service = app.ConfigureAwait(false);
            await app.Services.GetRequiredService<Wolverine.Runtime.IWolverineRuntime>().Storage.Admin.MigrateAsync().ConfigureAwait(false);
            AnsiConsole.MarkupLine($"Marten's and Wolverine's tables are in place; [green]{Schema.Migrations.Count}[/] migration(s) of our own in place.");
            return 0;
        }, cancellationToken);

    /// <summary>
    /// The Critter Stack's own verbs (db-apply, db-assert, db-dump, db-patch, projections, codegen,
    /// resources, describe) run by JasperFx's command line over the service's composition, with the
    /// database (configured or embedded) the service would use.
    /// </summary>
    public static Task<int> CritterStackAsync(string[] args, CancellationToken cancellationToken) =>
        WithDatabaseAsync(BootstrapConfiguration(args), "ExpertsAtHand.CritterStack", async (database, _, _) =>
        {
            // `--Key=value` is configuration for the composition; the rest is JasperFx's verb and its options.
            static bool IsSetting(string arg) => arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains('=', StringComparison.Ordinal);
            var app = Compose([.. args.Where(IsSetting), "--Projections:RunDaemon=false", "--Demo:Seed=false"], database);
            await using var _ = app.ConfigureAwait(false);
            return await JasperFx.CommandLineHostingExtensions.RunJasperFxCommands(app, [.. args.Where(a => !IsSetting(a))]).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>The verbs JasperFx's command line answers for Marten and Wolverine.</summary>
    public static IReadOnlySet<string> CritterStackVerbs { get; } = new HashSet<string>(["db-apply", "db-assert", "db-dump", "db-patch", "db-list", "projections", "codegen", "resources", "describe"], StringComparer.Ordinal);

    public static int Token(string[] args, Caller caller, TimeSpan lifetime)
    {
        var configuration = BootstrapConfiguration(args);
        if (configuration["Auth:Authority"] is { Length: > 0 })
        {
            Console.Error.WriteLine("Auth:Authority is set: tokens come from that OpenID Connect authority, not from this command.");
            return 2;
        }

        if (lifetime <= TimeSpan.Zero || lifetime > Identity.MaxTokenLifetime(configuration))
        {
            Console.Error.WriteLine($"--hours from 1 to {Identity.MaxTokenLifetime(configuration).TotalHours:0}: longer tokens are refused by the service.");
            return 2;
        }

        if (caller.Role == Roles.Senco && caller.SettingUrns.Count == 0)
        {
            Console.Error.WriteLine("A SENCO's token needs at least one --urn.");
            return 2;
        }

        if (caller.Role == Roles.Practitioner && caller.PractitionerId is null)
        {
            Console.Error.WriteLine("A practitioner's token needs --practitioner.");
            return 2;
        }

        Console.WriteLine(Identity.MintDevelopmentToken(configuration, caller, lifetime, TimeProvider.System));
        return 0;
    }

    public static Task<int> DeadLettersAsync(string[] args, string verb, Guid? id, string? tenant, CancellationToken cancellationToken) =>
        WithDatabaseAsync(BootstrapConfiguration(args), "ExpertsAtHand.DeadLetters", async (database, _, _) =>
        {
            var app = await OpenServiceAsync([.. args, "--Projections:RunDaemon=false", "--Messaging:RunWorkers=false"], database, cancellationToken).ConfigureAwait(false);
            await using var _ = app.ConfigureAwait(false);
            var letters = app.Services.GetRequiredService<Features.Admin.DeadLetterBox>();
            switch (verb)
            {
                case "list":
                    var table = new Table().AddColumns("id", "area", "message", "attempts", "failed at", "error");
                    foreach (var letter in await letters.ListAsync(tenant, 500, cancellationToken).ConfigureAwait(false))
                    {
                        table.AddRow(letter.Id.ToString(), letter.TenantId, letter.MessageType, letter.Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture), letter.FailedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(letter.Error));
                    }

                    AnsiConsole.Write(table);
                    return 0;
                case "replay":
                    return Report(await letters.ReplayAsync(id!.Value, null, cancellationToken).ConfigureAwait(false), $"Marked {id} for replay: the running service puts it back in its queue within seconds.", id!.Value);
                default:
                    return Report(await letters.DiscardAsync(id!.Value, null, cancellationToken).ConfigureAwait(false), $"Discarded {id}.", id!.Value);
            }
        }, cancellationToken, shareRunning: true);

    public static Task<int> VerifyAccessLogAsync(string[] args, string? tenant, CancellationToken cancellationToken) =>
        WithDatabaseAsync(BootstrapConfiguration(args), "ExpertsAtHand.AccessLog", async (database, _, _) =>
        {
            await using var dataSource = Npgsql.NpgsqlDataSource.Create(database.ConnectionString);
            var result = await new Features.AccessLog.AccessLogBook(dataSource, TimeProvider.System).VerifyAsync(tenant, cancellationToken).ConfigureAwait(false);
            foreach (var broken in result.Broken)
            {
                AnsiConsole.MarkupLine($"[red]Entry {broken.Id}[/] of area '{Markup.Escape(broken.Tenant)}' does not follow from the entry before it: it was changed, or an entry before it was removed or inserted.");
            }

            foreach (var (area, hash) in result.LastHashByArea)
            {
                AnsiConsole.MarkupLine($"Area '{Markup.Escape(area)}': last hash {hash}");
            }

            AnsiConsole.MarkupLine(result.Broken.Count == 0
                ? $"[green]{result.Checked}[/] entries checked; every chain is intact."
                : $"[red]{result.Broken.Count}[/] of {result.Checked} entries break their chain.");
            return result.Broken.Count == 0 ? 0 : 1;
        }, cancellationToken, shareRunning: true);

    public static Task<int> WhatIfAsync(string[] args, string tenant, DateOnly from, DateOnly to, Domain.Allocation.AllocationPolicy policy, bool outreach, CancellationToken cancellationToken) =>
        WithDatabaseAsync(BootstrapConfiguration(args), "ExpertsAtHand.WhatIf", async (database, _, _) =>
        {
            if (to < from || to.DayNumber - from.DayNumber >= Features.Reports.ReportRequest.LongestPeriodDays)
            {
                await Console.Error.WriteLineAsync("--to on or after --from, and a period of at most three years.").ConfigureAwait(false);
                return 2;
            }

            var app = await OpenServiceAsync([.. args, "--Projections:RunDaemon=false", "--Messaging:RunWorkers=false", "--Demo:Seed=false"], database, cancellationToken).ConfigureAwait(false);
            await using var _ = app.ConfigureAwait(false);
            var rules = app.Services.GetRequiredService<Features.Requests.RequestRulesCatalog>().For(tenant);
            Features.Reports.WhatIfReport? report = null;
            await AnsiConsole.Progress().StartAsync(async progress =>
            {
                var task = progress.AddTask("Replaying the recorded weeks");
                report = await Features.Reports.WhatIfEndpoints.RunAsync(
                    app.Services.GetRequiredService<Features.Reports.RecordedYearReader>(), rules, tenant, from, to, policy, outreach,
                    (week, weeks) => { task.MaxValue = weeks; task.Value = week; }, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);

            var table = new Table().AddColumns("measure", "what happened", $"{policy.ToString().ToLowerInvariant()}{(outreach ? " with outreach" : string.Empty)}");
            static string Show(object? value) => value switch { null => "–", double d => d.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture), _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)! };
            foreach (var (name, actual, replayed) in new (string, object?, object?)[]
            {
                ("needs (request × discipline)", report!.Actual.Demand, report.Replayed.Demand),
                ("given time", report.Actual.Allocated, report.Replayed.Allocated),
                ("still waiting at the end", report.Actual.StillWaiting, report.Replayed.StillWaiting),
                ("hours", report.Actual.HoursAllocated, report.Replayed.HoursAllocated),
                ("share within the first-contact standard", report.Actual.ShareWithinFirstContactStandard, report.Replayed.ShareWithinFirstContactStandard),
                ("median working days to allocation", report.Actual.MedianWorkingDaysToAllocation, report.Replayed.MedianWorkingDaysToAllocation),
                ("top 10% share of hours", report.Actual.Top10Share, report.Replayed.Top10Share),
                ("top need quartile reached", report.Actual.TopNeedQuartileCoverage, report.Replayed.TopNeedQuartileCoverage),
                ("largest overshare while others waited", report.Actual.MaxOvershare, report.Replayed.MaxOvershare),
                ("settings supported", report.Actual.SettingsSupported, report.Replayed.SettingsSupported),
            })
            {
                table.AddRow(Markup.Escape(name), Show(actual), Show(replayed));
            }

            AnsiConsole.Write(table);
            if (outreach)
            {
                AnsiConsole.MarkupLine($"Outreach: {report.OutreachOffers} offers, {report.OutreachRequests} taken up.");
            }

            return 0;
        }, cancellationToken, shareRunning: true);

    public static Task<int> RotateKeysAsync(string[] args, CancellationToken cancellationToken) =>
        WithDatabaseAsync(BootstrapConfiguration(args), "ExpertsAtHand.Keys", async (database, _, _) =>
        {
            var app = await OpenServiceAsync([.. args, "--Projections:RunDaemon=false", "--Messaging:RunWorkers=false", "--Demo:Seed=false"], database, cancellationToken).ConfigureAwait(false);
            await using var _ = app.ConfigureAwait(false);
            var rewrapped = await app.Services.GetRequiredService<Features.Privacy.DetailKeys>().RotateAsync(cancellationToken).ConfigureAwait(false);
            AnsiConsole.MarkupLine($"A new master key wraps [green]{rewrapped}[/] children's key(s); the old master key is gone from {Markup.Escape(Features.Privacy.MasterKeys.PathFrom(app.Configuration, database.DataDirectory))}. Back the file up now.");
            return 0;
        }, cancellationToken, shareRunning: true);

    public static async Task<int> ImportSettingsAsync(string[] args, FileInfo file, string tenant, string[] laCodes, string[] localities, CancellationToken cancellationToken)
    {
        if (!file.Exists)
        {
            await Console.Error.WriteLineAsync($"No such file: {file.FullName}").ConfigureAwait(false);
            return 2;
        }

        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var mapping in localities)
        {
            var parts = mapping.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
            {
                await Console.Error.WriteLineAsync($"--locality takes District=Locality, not '{mapping}'.").ConfigureAwait(false);
                return 2;
            }

            pairs.Add(new(parts[0], parts[1]));
        }

        var configuration = BootstrapConfiguration(args);
        var (settings, errors) = Features.Settings.SettingsImport.Parse(file.OpenRead(), Features.Settings.SettingsImporter.OptionsFor(configuration, tenant, laCodes, pairs));
        return await ImportAsync(args, configuration, file, errors, $"Importing {settings.Count} settings", settings.Count, (store, progress) =>
            Features.Settings.SettingsImporter.ImportAsync(store, tenant, "system:import", settings, TimeProvider.System.GetUtcNow(), progress, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    public static async Task<int> ImportPractitionersAsync(string[] args, FileInfo file, string tenant, CancellationToken cancellationToken)
    {
        if (!file.Exists)
        {
            await Console.Error.WriteLineAsync($"No such file: {file.FullName}").ConfigureAwait(false);
            return 2;
        }

        var (practitioners, errors) = Features.Practitioners.PractitionersImport.Parse(file.OpenRead());
        return await ImportAsync(args, BootstrapConfiguration(args), file, errors, $"Importing {practitioners.Count} practitioners", practitioners.Count, (store, _) =>
            Features.Practitioners.PractitionersImport.ImportAsync(store, tenant, "system:import", practitioners, TimeProvider.System.GetUtcNow(), cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reports bad rows (and imports nothing), or writes the rows with a progress bar.</summary>
    private static async Task<int> ImportAsync(
        string[] args,
        IConfigurationRoot configuration,
        FileInfo file,
        IReadOnlyList<Features.Settings.ImportRowError> errors,
        string title,
        int rows,
        Func<Marten.IDocumentStore, IProgress<int>, Task<Features.Settings.ImportReport>> write,
        CancellationToken cancellationToken)
    {
        if (errors.Count > 0)
        {
            foreach (var error in errors)
            {
                await Console.Error.WriteLineAsync($"{file.Name}:{error.Line}: {error.Field}: {error.Problem}").ConfigureAwait(false);
            }

            await Console.Error.WriteLineAsync($"{errors.Select(e => e.Line).Distinct().Count()} bad row(s); nothing was imported.").ConfigureAwait(false);
            return 1;
        }

        return await WithDatabaseAsync(configuration, "ExpertsAtHand.Import", async (database, _, _) =>
        {
            var app = await OpenServiceAsync(args, database, cancellationToken).ConfigureAwait(false);
            await using var _ = app.ConfigureAwait(false);
            var store = app.Services.GetRequiredService<Marten.IDocumentStore>();
            Features.Settings.ImportReport? report = null;
            await AnsiConsole.Progress().StartAsync(async progress =>
            {
                var task = progress.AddTask(title, maxValue: Math.Max(1, rows));
                report = await write(store, new Progress<int>(done => task.Value = done)).ConfigureAwait(false);
                task.Value = task.MaxValue;
            }).ConfigureAwait(false);
            AnsiConsole.MarkupLine($"[green]{report!.Registered}[/] registered, [yellow]{report.Changed}[/] changed, {report.Unchanged} unchanged.");
            return 0;
        }, cancellationToken, shareRunning: true).ConfigureAwait(false);
    }

    public static async Task<int> RebuildAsync(string[] args, string name, CancellationToken cancellationToken)
    {
        // Check the name before starting a database for it.
        var known = MartenAndWolverine.ReportProjectionNames;
        if (name != "all" && !known.Contains(name, StringComparer.Ordinal))
        {
            await Console.Error.WriteLineAsync($"No projection '{name}'. Known: {string.Join(", ", known)}, or all.").ConfigureAwait(false);
            return 2;
        }

        return await WithDatabaseAsync(BootstrapConfiguration(args), "ExpertsAtHand.Rebuild", async (database, _, _) =>
        {
            var app = await OpenServiceAsync([.. args, "--Projections:RunDaemon=false"], database, cancellationToken).ConfigureAwait(false);
            await using var _ = app.ConfigureAwait(false);
            var store = app.Services.GetRequiredService<Marten.IDocumentStore>();
            var dataSource = app.Services.GetRequiredService<Npgsql.NpgsqlDataSource>();
            var names = name == "all" ? [.. known] : new List<string> { name };
            var daemon = await store.BuildProjectionDaemonAsync().ConfigureAwait(false);
            await AnsiConsole.Progress().StartAsync(async progress =>
            {
                foreach (var projection in names)
                {
                    var task = progress.AddTask($"Rebuilding {projection}");
                    // Marten's rebuild empties the projection's tables and replays the log; its progression row shows how far it is.
                    var rebuild = daemon.RebuildProjectionAsync(projection, TimeSpan.FromHours(2), cancellationToken);
                    while (!rebuild.IsCompleted)
                    {
                        var (done, total) = await ProgressAsync(dataSource, projection, cancellationToken).ConfigureAwait(false);
                        task.MaxValue = Math.Max(1, total);
                        task.Value = done;
                        await Task.WhenAny(rebuild, Task.Delay(250, cancellationToken)).ConfigureAwait(false);
                    }

                    await rebuild.ConfigureAwait(false);
                    task.Value = task.MaxValue;
                }
            }).ConfigureAwait(false);
            await daemon.StopAllAsync().ConfigureAwait(false);
            AnsiConsole.MarkupLine($"Rebuilt {string.Join(", ", names)}.");
            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<(long Done, long Total)> ProgressAsync(Npgsql.NpgsqlDataSource dataSource, string projection, CancellationToken cancellationToken) =>
        (await EventLog.ProjectionProgress.ReadAsync(dataSource, [projection], cancellationToken).ConfigureAwait(false)) is [var position]
            ? (position.LastSequence, position.HighWaterMark)
            : (0, 0);

    public static int Simulate(Domain.Allocation.SimulationOptions options)
    {
        if (options.Settings < 4 || options.Weeks < 4 || options.ProactiveShare is < 0 or > 1 || options.ProactiveMultiplier < 1
            || options.QuietHighNeed is < 0 or > 1 || options.OutreachTakeUp is < 0 or > 1)
        {
            Console.Error.WriteLine("Need --settings ≥ 4, --weeks ≥ 4, --proactive-share from 0 to 1, --proactive-multiplier ≥ 1, --quiet-high-need from 0 to 1 and --outreach-take-up from 0 to 1.");
            return 2;
        }

        var result = Domain.Allocation.Simulation.Run(options);
        string F(double value) => value.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);
        var policy = result.Policy == Domain.Allocation.AllocationPolicy.Fair ? "fair" : "fcfs";
        Console.WriteLine($"{options.Settings} settings, {options.Weeks} weeks, seed {options.Seed}: {options.ProactiveShare:P0} of settings ask {options.ProactiveMultiplier}x as often; policy {policy}");
        Console.WriteLine($"requests {result.Requests}, allocated {result.Allocated}, delivered {result.DeliveredHours:0} of {result.CapacityHours:0} capacity hours");
        Console.WriteLine($"share of delivered hours taken by the 10% most-served settings: {F(result.Top10Share)}");
        Console.WriteLine($"top need quartile settings reached: {F(result.HighNeedCoverage)}");
        Console.WriteLine($"largest delivered / pro-rata entitlement while others waited (quarter ends): {F(result.MaxOvershare)}");
        Console.WriteLine($"allocated within the first-contact standard: {F(result.SlaFirstContact)}");
        Console.WriteLine($"top need quartile asking {options.QuietHighNeed}x as often; outreach {(options.Outreach ? "on" : "off")}: {result.OutreachOffers} offers, {result.OutreachRequests} taken up");
        Console.WriteLine($"simulate policy={policy} top10_share={F(result.Top10Share)} high_need_coverage={F(result.HighNeedCoverage)} max_overshare={F(result.MaxOvershare)} sla_first_contact={F(result.SlaFirstContact)} quiet_high_need_coverage={F(result.QuietHighNeedCoverage)} outreach_offers={result.OutreachOffers}");
        return 0;
    }

    private static int Report(bool done, string success, Guid id)
    {
        if (done)
        {
            Console.WriteLine(success);
            return 0;
        }

        Console.Error.WriteLine($"No dead letter {id}.");
        return 1;
    }

    /// <summary>
    /// The database (the configured server, or the embedded one) for one verb. Failing to get one, or a
    /// migration edited after it was applied, is one clear line and exit code 2.
    /// </summary>
    private static async Task<int> WithDatabaseAsync(IConfigurationRoot configuration, string category, Func<DatabaseLease, ILoggerFactory, ILogger, Task<int>> work, CancellationToken cancellationToken, bool shareRunning = false)
    {
        using var loggers = BootstrapLoggers();
        var logger = loggers.CreateLogger(category);
        try
        {
            await using var database = await DatabaseLease.AcquireAsync(configuration, logger, cancellationToken, shareRunning).ConfigureAwait(false);
            return await work(database, loggers, logger).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PostgresBinariesNotFoundException or EmbeddedPostgresStartException or MigrationChangedException or EarlierVersionDatabaseException or Features.Privacy.MasterKeyException)
        {
            await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 2;
        }
    }

    /// <summary>The service's composition over the database with its schema up to date, not yet serving.</summary>
    private static async Task<WebApplication> OpenServiceAsync(string[] args, DatabaseLease database, CancellationToken cancellationToken)
    {
        var app = Compose(args, database);
        try
        {
            await ServiceHost.MigrateAsync(app, cancellationToken).ConfigureAwait(false);
            return app;
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The service's composition over the lease's database, its pools cleared whenever the embedded server comes back.</summary>
    private static WebApplication Compose(string[] args, DatabaseLease database)
    {
        var builder = ServiceHost.CreateBuilder(args, database.ConnectionString);
        builder.Configuration["Protection:EmbeddedDataDirectory"] = database.DataDirectory; // the master key's default home, beside the data
        builder.Services.AddSingleton(database);
        var app = ServiceHost.Build(builder);
        database.WhenRestarted(() =>
        {
            try
            {
                app.Services.GetRequiredService<Npgsql.NpgsqlDataSource>().Clear();
                app.Services.GetRequiredService<Features.Reports.AsOfConnections>().DataSource.Clear();
            }
            catch (ObjectDisposedException)
            {
                // the service stopped meanwhile: nothing holds a pool any more
            }
        });
        return app;
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
