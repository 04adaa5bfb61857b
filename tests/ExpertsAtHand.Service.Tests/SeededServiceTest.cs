namespace ExpertsAtHand.Service.Tests;

/// <summary>A fresh service for each test, with the reference settings and practitioners of <see cref="ApiBuilders"/>.</summary>
public abstract class SeededServiceTest : IAsyncLifetime
{
    protected ServiceApp App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = await StartAsync();
        await ApiBuilders.SeedReferenceDataAsync(App);
    }

    public virtual async Task DisposeAsync() => await App.DisposeAsync();

    /// <summary>How the service starts; a class that needs more (a log to read) says so here.</summary>
    protected virtual Task<ServiceApp> StartAsync() => ServiceApp.StartAsync();
}
