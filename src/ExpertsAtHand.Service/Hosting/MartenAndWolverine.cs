using ExpertsAtHand.Infrastructure.Notifications;
using ExpertsAtHand.Service.EventLog;
using ExpertsAtHand.Service.Features.Allocations;
using ExpertsAtHand.Service.Features.Requests;
using JasperFx;
using Weasel.Core;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using JasperFx.MultiTenancy;
using Marten;
using Wolverine;
using Wolverine.ErrorHandling;
using Wolverine.Marten;

namespace ExpertsAtHand.Service.Hosting;

/// <summary>
/// Marten for the event log and its projections, Wolverine for messages, on the service's own
/// PostgreSQL data source: one transaction holds a command's events, its inline read models and the
/// messages it schedules (Wolverine's outbox in Marten's session).
/// </summary>
public static class MartenAndWolverine
{
    /// <summary>The report projections the async daemon keeps, by name (the rebuild verb checks its argument against these).</summary>
    public static IReadOnlyList<string> ReportProjectionNames { get; } =
        [Features.Reports.TimelinessProjection.ProjectionName, Features.Reports.OutcomesProjection.ProjectionName, Features.Reports.CoverageProjection.ProjectionName, Features.Reports.CapacityProjection.ProjectionName, Features.Reports.SatisfactionProjection.ProjectionName];

    public static void AddMartenAndWolverine(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var services = builder.Services;
        services.AddSingleton<IReportProjection, Features.Reports.TimelinessProjection>();
        services.AddSingleton<IReportProjection, Features.Reports.OutcomesProjection>();
        services.AddSingleton<IReportProjection, Features.Reports.CoverageProjection>();
        services.AddSingleton<IReportProjection, Features.Reports.CapacityProjection>();
        services.AddSingleton<IReportProjection, Features.Reports.SatisfactionProjection>();
        services.AddSingleton<AsOfReplay>();

        services.AddMarten(provider =>
            {
                var options = new StoreOptions();
                options.Events.TenancyStyle = TenancyStyle.Conjoined; // one tenant per local area
                options.Events.StreamIdentity = StreamIdentity.AsGuid;
                // Rich, not Quick: quick append stamps events on an existing stream with the database server's now(),
                // and every time rule and as-of answer here runs on our clock (a test's, or the demo's story).
                options.Events.AppendMode = EventAppendMode.Rich;
                options.Events.TimeProvider = new EventClock(provider.GetRequiredService<TimeProvider>());
                options.Events.MetadataConfig.CorrelationIdEnabled = true;
                options.Events.MetadataConfig.CausationIdEnabled = true;
                options.Events.MetadataConfig.UserNameEnabled = true; // who did it, once per event
                options.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);
                foreach (var (type, name) in EventNames.All)
                {
                    options.Events.MapEventType(type, name);
                }

                options.Projections.Add(
                    new InlineReadModels(
                    [
                        new Features.Settings.SettingsProjection(provider.GetRequiredService<EntitlementCatalog>()),
                        new Features.Practitioners.PractitionersProjection(),
                        new RequestsProjection(),
                        new Features.Clinics.ClinicsProjection(),
                        new Features.Feedback.FamilyInvitationsProjection(),
                    ]),
                    ProjectionLifecycle.Inline,
                    "read-models");
                // Gaps in the sequence: Marten holds while a transaction that could still fill one is alive
                // (a late commit is never skipped), and skips only a gap stuck longer than this, recording
                // it in mt_high_water_skips, which GapWatch reports as an alert.
                // Hot/cold: the node holding the daemon's lock runs the projections; when it dies, PostgreSQL
                // frees the lock with its connection and another node takes it at its next poll.
                options.Projections.LeadershipPollingTime = configuration.GetValue("Projections:LeadershipPollingMs", 2_000);
                options.Projections.SkipStaleGapsDespiteLiveTransactionsAfter = TimeSpan.FromSeconds(configuration.GetValue("Projections:SkipStuckGapAfterSeconds", 300));
                foreach (var report in provider.GetServices<IReportProjection>())
                {
                    var daemonPart = new ProjectionWrapper<IDocumentOperations, IQuerySession>(new ReportProjectionOnDaemon(report), ProjectionLifecycle.Async) { Name = report.Name };
                    foreach (var type in report.EventTypes)
                    {
                        daemonPart.IncludeType(type); // the daemon fetches only these
                    }

                    foreach (var table in report.Tables)
                    {
                        daemonPart.Options.DeleteDataInTableOnTeardown(table); // a rebuild starts from empty tables
                    }

                    daemonPart.Options.BatchSize = 5_000;
                    options.Projections.Add(daemonPart, ProjectionLifecycle.Async);
                }

                return options;
            })
            .UseNpgsqlDataSource()
            .AddAsyncDaemon(configuration.GetValue("Projections:RunDaemon", true) ? DaemonMode.HotCold : DaemonMode.Disabled)
            .IntegrateWithWolverine();

        builder.Host.UseWolverine(options =>
        {
            options.ApplicationAssembly = typeof(MartenAndWolverine).Assembly;
            options.UseRuntimeCompilation();
            options.Policies.UseDurableLocalQueues();
            options.Policies.AutoApplyTransactions();
            // A node that stops answering is declared dead, and its messages move to a live one, within
            // about this long (Wolverine's default is a minute).
            options.Durability.StaleNodeTimeout = TimeSpan.FromSeconds(configuration.GetValue("Messaging:StaleNodeSeconds", 10));
            // A message that failed for good is kept for an administrator this long, then Wolverine deletes it.
            options.Durability.DeadLetterQueueExpirationEnabled = true;
            options.Durability.DeadLetterQueueExpiration = TimeSpan.FromDays(configuration.GetValue("Retention:DeadLetterDays", 30));
            options.Durability.HealthCheckPollingTime = TimeSpan.FromSeconds(configuration.GetValue("Messaging:HealthCheckSeconds", 3));
            if (!configuration.GetValue("Messaging:RunWorkers", true))
            {
                // Tests deliver scheduled messages by their own clock (Wolverine schedules by the wall clock),
                // and are the only node on their database.
                options.Durability.Mode = DurabilityMode.Solo;
                options.Durability.ScheduledJobFirstExecution = TimeSpan.FromDays(1);
                options.Durability.ScheduledJobPollingTime = TimeSpan.FromDays(1);
            }
            // Notify refusing an e-mail will refuse it again; anything else (timeouts, 5xx, 429) is tried again, then kept.
            options.OnException<NotifyRejectedException>().MoveToErrorQueue();
            options.OnException<HttpRequestException>().RetryWithCooldown(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60))
                .Then.ScheduleRetry(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15))
                .Then.MoveToErrorQueue();
        });
    }
}
