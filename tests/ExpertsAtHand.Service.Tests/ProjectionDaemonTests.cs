using System.Net;
using ExpertsAtHand.Domain.Requests;
using JasperFx.Events.Daemon;
using Marten;
using Marten.Services;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static ExpertsAtHand.Service.Tests.ApiBuilders;

namespace ExpertsAtHand.Service.Tests;

/// <summary>Marten's async daemon as the service configures it: late commits, rebuilds, progress.</summary>
public sealed class ProjectionDaemonTests
{
    [Fact]
    public async Task A_request_whose_transaction_commits_late_is_projected_once_and_none_after_it_is_skipped()
    {
        await using var app = await ServiceApp.StartAsync();
        await SeedReferenceDataAsync(app);
        var store = app.Services.GetRequiredService<IDocumentStore>();
        var daemon = await store.BuildProjectionDaemonAsync();
        await daemon.StartAllAsync(); // running continuously, as on a node

        // A slow appender takes its place in the sequence and holds its transaction open past Marten's stale threshold (3 s)...
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var late = Guid.NewGuid();
        var options = SessionOptions.ForTransaction(transaction);
        options.TenantId = ServiceApp.Tenant;
        await using (var slow = store.LightweightSession(options))
        {
            slow.Events.StartStream(late, Raised(late));
            await slow.SaveChangesAsync();
        }

        // ...while others commit after it.
        var onTime = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            onTime.Add((await RaiseAsync(app)).Id);
        }

        await Task.Delay(TimeSpan.FromSeconds(5));
        await transaction.CommitAsync();
        await daemon.WaitForNonStaleData(TimeSpan.FromSeconds(30));
        await daemon.StopAllAsync();

        Assert.Equal(0L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM mt_high_water_skips"));
        var projected = await app.Database.ScalarAsync<Guid[]>("SELECT array_agg(request_id ORDER BY request_id) FROM rpt_coverage_requests");
        Assert.Equal([.. onTime.Append(late).Order()], projected); // every request, each once
        Assert.Equal(4L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM rpt_request_clocks"));
    }

    [Fact]
    public async Task A_gap_the_daemon_skipped_is_an_error_in_the_log_and_a_count_on_the_meter()
    {
        await using var app = await ServiceApp.StartAsync();
        using var logs = new CapturedLogs();
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Projections:GapWatchSeconds"] = "0.2" }).Build();
        using var watch = new Hosting.GapWatch(app.Database.DataSource, configuration, logs.CreateLogger<Hosting.GapWatch>());
        await watch.StartAsync(CancellationToken.None);
        await Task.Delay(500);

        // What Marten records when a gap stays stuck past Projections:SkipStuckGapAfterSeconds.
        await app.Database.ExecuteAsync("INSERT INTO mt_high_water_skips (starting_sequence, ending_sequence) VALUES (41, 43)");

        for (var i = 0; i < 50 && !logs.Entries.Any(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Error); i++)
        {
            await Task.Delay(100);
        }

        await watch.StopAsync(CancellationToken.None);
        var alert = Assert.Single(logs.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Error);
        Assert.Contains("skipped a gap in the event sequence after 41 up to 43", alert.Message, StringComparison.Ordinal);
    }

    private static RequestRaised Raised(Guid id)
    {
        var on = new DateOnly(2026, 10, 5);
        return new RequestRaised(id, Urn, RequestLevel.WholeSetting, [Discipline.EducationalPsychology], [AreaOfNeed.CommunicationAndInteraction], "Needs.", "Tried.", null, Priority.Routine, "senco:user-1", new DateTimeOffset(2026, 10, 5, 9, 0, 0, TimeSpan.FromHours(1)), on, on.AddDays(7));
    }
}
