using ExpertsAtHand.Service.Hosting;
using Npgsql;
using Wolverine.Runtime.Serialization;

namespace ExpertsAtHand.Service.Features.Admin;

/// <summary>An area's messages waiting on this database: how many, the longest any due one has waited, and recent failures.</summary>
/// <param name="Waiting">Sent and not yet handled (due now).</param>
/// <param name="Scheduled">Held for a later time (SLA checks).</param>
/// <param name="OldestDueSeconds">How long the oldest message that is due has waited to be handled, or null when none is due.</param>
/// <param name="DeadLettersLastHour">Messages that failed for good in the last hour.</param>
public sealed record QueueStatus(string Node, int Waiting, int Scheduled, double? OldestDueSeconds, int DeadLettersLastHour, DateTimeOffset At);

/// <summary>
/// Reads Wolverine's inbox for the signs an operator watches. Its table has no tenant column, so an
/// area's share is read from each envelope (up to the 5,000 oldest waiting; a queue longer than that is
/// already the alert).
/// </summary>
public sealed class MessageQueues(NpgsqlDataSource dataSource, DeadLetterBox letters, TimeProvider clock)
{
    private const int Examined = 5_000;

    public static string Node { get; } = $"{Environment.MachineName}/{Environment.ProcessId}";

    /// <param name="tenant">Null: every area (the node's own signals).</param>
    public async Task<QueueStatus> StatusAsync(string? tenant, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        int waiting = 0, scheduled = 0;
        DateTimeOffset? oldestDue = null;
        await using (var command = dataSource.CreateCommand(
            "SELECT status, execution_time, body FROM wolverine_incoming_envelopes WHERE status <> 'Handled' ORDER BY coalesce(execution_time, '-infinity') LIMIT $1"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = Examined });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var envelope = EnvelopeSerializer.Deserialize(reader.GetFieldValue<byte[]>(2));
                if (tenant is not null && envelope.TenantId != tenant)
                {
                    continue;
                }

                DateTimeOffset? dueSince;
                if (reader.GetString(0) == "Scheduled")
                {
                    scheduled++;
                    var at = reader.IsDBNull(1) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(1);
                    dueSince = at <= now ? at : null;
                }
                else
                {
                    waiting++;
                    dueSince = envelope.SentAt;
                }

                if (dueSince is { } since && (oldestDue is null || since < oldestDue))
                {
                    oldestDue = since;
                }
            }
        }

        var failedRecently = (await letters.ListAsync(tenant, 1_000, cancellationToken).ConfigureAwait(false)).Count(l => l.FailedAt >= now.AddHours(-1));
        return new QueueStatus(Node, waiting, scheduled, oldestDue is { } oldest ? Math.Max(0, (now - oldest).TotalSeconds) : null, failedRecently, now);
    }
}

public static class QueueEndpoints
{
    public static IEndpointRouteBuilder MapQueueStatus(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/admin/queues", async (HttpContext http, MessageQueues queues, CancellationToken cancellationToken) =>
                Caller.From(http.User) is { } caller && caller.Is(Roles.Administrator)
                    ? TypedResults.Ok(await queues.StatusAsync(caller.Tenant, cancellationToken).ConfigureAwait(false))
                    : (IResult)Problems.Forbidden("Queue status is for administrators."))
            .WithTags("Administration").RequireAuthorization("member")
            .WithName("QueueStatus").WithSummary("The area's messages on this node's database: waiting, scheduled, how long the oldest due one has waited, dead letters in the last hour; and which node answered.")
            .Produces<QueueStatus>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        return endpoints;
    }
}
