using ExpertsAtHand.Testing;

namespace ExpertsAtHand.EventStore.Tests;

public sealed record Counted(int Amount);

public sealed record Noted(string Text);

/// <summary>A stored shape that no longer exists in code: read back through an upcaster.</summary>
public sealed record Renamed(string NewName);

public static class TestStore
{
    public static TypeRegistry Types() => new TypeRegistry()
        .Register<Counted>("counted")
        .Register<Noted>("noted")
        .Register<Renamed>("renamed");

    public static async Task<(TestDatabase Database, EventStore Store)> CreateAsync(Action<EventStoreOptions>? configure = null, TimeProvider? clock = null)
    {
        var database = await TestPostgres.CreateDatabaseAsync(EventStore.Migrations);
        var options = new EventStoreOptions { Types = Types(), Clock = clock ?? TimeProvider.System };
        configure?.Invoke(options);
        return (database, new EventStore(database.DataSource, options));
    }

    public static async Task<AppendResult> AppendAsync(this EventStore store, string tenant, Guid stream, long expected, params object[] events)
    {
        await using var session = store.OpenSession(tenant);
        session.Append("counter", stream, expected, events);
        return await session.SaveChangesAsync();
    }

    public static int Sum(int total, object @event) => @event is Counted c ? total + c.Amount : total;
}
