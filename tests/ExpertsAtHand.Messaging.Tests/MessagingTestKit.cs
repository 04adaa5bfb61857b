using ExpertsAtHand.EventStore;
using ExpertsAtHand.Testing;

namespace ExpertsAtHand.Messaging.Tests;

public sealed record Ping(int N);

public sealed record PingHandled(int N);

public static class MessagingTestKit
{
    public const string Tenant = "area-a";
    public static readonly DateTimeOffset Start = new(2026, 10, 5, 9, 0, 0, TimeSpan.Zero);

    public static async Task<(TestDatabase Database, MessageBus Bus)> CreateAsync(ManualClock? clock = null, Func<MessagingOptions, MessagingOptions>? configure = null)
    {
        var database = await TestPostgres.CreateDatabaseAsync([.. EventStore.EventStore.Migrations, .. MessageBus.Migrations]);
        await database.ExecuteAsync("CREATE TABLE handled (message_id uuid NOT NULL, n int NOT NULL, node text NOT NULL)");
        var time = (TimeProvider?)clock ?? TimeProvider.System;
        var store = new EventStore.EventStore(database.DataSource, new EventStoreOptions
        {
            Types = new TypeRegistry().Register<PingHandled>("ping-handled"),
            Clock = time,
        });
        var options = new MessagingOptions
        {
            Types = new TypeRegistry().Register<Ping>("ping"),
            Clock = time,
            PollInterval = TimeSpan.FromMilliseconds(50),
            Retry = new RetryPolicy { MaxAttempts = 3, BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(8) },
        };
        return (database, new MessageBus(store, configure?.Invoke(options) ?? options));
    }

    /// <summary>A second node on the same database: same store and handlers, its own identity.</summary>
    public static MessageBus SecondNode(MessageBus bus, string nodeId) => new(bus.Store, bus.Options with { NodeId = nodeId });

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, int seconds = 60)
    {
        for (var i = 0; i < seconds * 20; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"condition not met within {seconds} s");
    }

    /// <summary>Records the message and appends an event: both commit with the message's completion.</summary>
    public static async Task RecordAsync(Ping ping, MessageContext context, string node, CancellationToken cancellationToken)
    {
        var transaction = await context.Session.TransactionAsync(cancellationToken);
        await using var insert = new Npgsql.NpgsqlCommand("INSERT INTO handled VALUES ($1, $2, $3)", transaction.Connection, transaction);
        insert.Parameters.Add(new Npgsql.NpgsqlParameter { Value = context.MessageId });
        insert.Parameters.Add(new Npgsql.NpgsqlParameter { Value = ping.N });
        insert.Parameters.Add(new Npgsql.NpgsqlParameter { Value = node });
        await insert.ExecuteNonQueryAsync(cancellationToken);
        context.Session.StartStream("ping", Guid.NewGuid(), new PingHandled(ping.N));
    }
}
