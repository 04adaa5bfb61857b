using System.Text.Json;
using Alba;
using ExpertsAtHand.Service.Features.Requests;
using ExpertsAtHand.Testing;
using Wolverine.Runtime.Serialization;
using Wolverine.Tracking;

namespace ExpertsAtHand.Service.Tests;

/// <summary>
/// Plays Wolverine's scheduled messages by the test's clock: those due by then are taken out of the
/// scheduled store and invoked for their area, and the test waits until everything they sent (the
/// coordinators' e-mails) has been handled too. Unlike PlayScheduledMessagesAsync, a message not yet
/// due by the test clock stays where it is.
/// </summary>
internal static class DueMessages
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<int> DeliverAsync(IAlbaHost host, TestDatabase database, DateTimeOffset now)
    {
        var due = new List<(Guid Id, byte[] Body)>();
        await using (var command = database.DataSource.CreateCommand(
            "DELETE FROM wolverine_incoming_envelopes WHERE status = 'Scheduled' AND execution_time <= $1 RETURNING id, body"))
        {
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = now.ToUniversalTime() });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                due.Add((reader.GetGuid(0), reader.GetFieldValue<byte[]>(1)));
            }
        }

        if (due.Count == 0)
        {
            return 0;
        }

        var tracked = await host.TrackActivity().Timeout(TimeSpan.FromSeconds(30)).DoNotAssertOnExceptionsDetected().ExecuteAndWaitAsync((Func<Wolverine.IMessageContext, Task>)(async context =>
        {
            foreach (var (_, body) in due.OrderBy(d => d.Id))
            {
                var envelope = EnvelopeSerializer.Deserialize(body);
                var message = JsonSerializer.Deserialize<CheckRequestSla>(envelope.Data, Json)!;
                await context.InvokeForTenantAsync(envelope.TenantId!, message);
            }
        }));

        return due.Count + tracked.Executed.MessagesOf<NotifyCoordinators>().Count();
    }
}
