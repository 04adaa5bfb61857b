using System.Diagnostics;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.Features.Requests;
using Microsoft.Extensions.DependencyInjection;
using Wolverine.Runtime.Serialization;
using Xunit.Abstractions;

namespace ExpertsAtHand.Service.Tests;

/// <summary>Work a dead node had claimed resumes on a live one, by Wolverine's own recovery, as the service runs it.</summary>
public sealed class NodeRecoveryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task An_email_a_dead_node_had_claimed_is_sent_by_a_live_node_within_30_seconds()
    {
        // As in production: balanced nodes, with Wolverine's durability agent sweeping orphaned work.
        await using var app = await ServiceApp.StartAsync(arguments: ["--Messaging:RunWorkers=true"]);
        using (var scope = app.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<Wolverine.IMessageBus>().PublishAsync(
                new NotifyCoordinators(Guid.NewGuid(), SlaClock.Triage, SlaCheckKind.AtRisk, new DateOnly(2026, 10, 9), "TESTAR-2026-00001"), new Wolverine.DeliveryOptions { TenantId = ServiceApp.Tenant });
        }

        await WaitForAsync(() => app.Notify.Sent.Count == 1, TimeSpan.FromSeconds(30));

        // What a node killed mid-message leaves: the envelope in the inbox, still owned by a node that is gone.
        var (body, messageType, receivedAt) = await HandledAsync(app);
        var orphan = EnvelopeSerializer.Deserialize(body);
        orphan.Id = Guid.NewGuid();
        await using (var insert = app.Database.DataSource.CreateCommand(
            "INSERT INTO wolverine_incoming_envelopes (id, status, owner_id, body, message_type, received_at, attempts) VALUES ($1, 'Incoming', 4242, $2, $3, $4, 0)"))
        {
            insert.Parameters.Add(new Npgsql.NpgsqlParameter { Value = orphan.Id });
            insert.Parameters.Add(new Npgsql.NpgsqlParameter { Value = EnvelopeSerializer.Serialize(orphan) });
            insert.Parameters.Add(new Npgsql.NpgsqlParameter { Value = messageType });
            insert.Parameters.Add(new Npgsql.NpgsqlParameter { Value = receivedAt });
            await insert.ExecuteNonQueryAsync();
        }

        var orphaned = Stopwatch.StartNew();
        await WaitForAsync(() => app.Notify.Sent.Any(s => s.Reference == orphan.Id.ToString()), TimeSpan.FromSeconds(30));
        output.WriteLine($"the live node sent the dead node's e-mail {orphaned.Elapsed.TotalSeconds:0.0} s after it was orphaned");
        Assert.Equal(2, app.Notify.Sent.Count);
    }

    private static async Task<(byte[] Body, string MessageType, string ReceivedAt)> HandledAsync(ServiceApp app)
    {
        await using var command = app.Database.DataSource.CreateCommand("SELECT body, message_type, received_at FROM wolverine_incoming_envelopes WHERE message_type LIKE '%NotifyCoordinators%' LIMIT 1");
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), "the handled message is kept for a while after handling");
        return (reader.GetFieldValue<byte[]>(0), reader.GetString(1), reader.GetString(2));
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan limit)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < limit, $"not within {limit.TotalSeconds:0} s");
            await Task.Delay(100);
        }
    }
}
