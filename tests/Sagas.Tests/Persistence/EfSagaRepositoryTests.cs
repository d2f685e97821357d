using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Sagas.Persistence;
using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace GlobalCommerce.Sagas.Tests.Persistence;

public sealed class EfSagaRepositoryTests
{
    const int Increments = 60;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite, SagaLockMode.Optimistic)]
    [InlineData(DatabaseProvider.Postgres, SagaLockMode.Optimistic)]
    [InlineData(DatabaseProvider.Postgres, SagaLockMode.Pessimistic)]
    public async Task Concurrent_events_for_one_saga_lose_no_update(DatabaseProvider provider, SagaLockMode lockMode)
    {
        var database = TestDatabases.For(provider);
        await using var services = await StartAsync(database, lockMode);
        var harness = services.GetRequiredService<ITestHarness>();
        await harness.Start();
        var counterId = NewId.NextGuid();

        await harness.Bus.Publish(new StartCounter(counterId));
        await WaitUntilAsync(services, counterId, c => c.CurrentState == "Counting");
        await Task.WhenAll(Enumerable.Range(1, Increments).Select(i => harness.Bus.Publish(new IncrementCounter(counterId, i))));
        var counter = await WaitUntilAsync(services, counterId, c => c.Count >= Increments);

        Assert.Equal(Increments, counter.Count);
        Assert.Equal(Increments + 1, counter.Version);
        Assert.False(await harness.Published.Any<Fault<IncrementCounter>>());
        await harness.Stop();
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Concurrent_initiating_events_create_one_saga(DatabaseProvider provider)
    {
        await using var services = await StartAsync(TestDatabases.For(provider), SagaLockMode.Optimistic);
        var harness = services.GetRequiredService<ITestHarness>();
        await harness.Start();
        var counterId = NewId.NextGuid();

        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => harness.Bus.Publish(new StartCounter(counterId))));
        await WaitUntilAsync(services, counterId, c => c.CurrentState == "Counting");
        await harness.InactivityTask;

        await using var scope = services.CreateAsyncScope();
        Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<CounterDbContext>().Set<CounterState>().CountAsync());
        Assert.False(await harness.Published.Any<Fault<StartCounter>>());
        await harness.Stop();
    }

    static async Task<ServiceProvider> StartAsync(CommerceOptions database, SagaLockMode lockMode)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDomainDbContext<CounterDbContext>(database, "counters");
        services.AddMassTransitTestHarness(bus =>
        {
            bus.SetTestTimeouts(testInactivityTimeout: TimeSpan.FromMilliseconds(500));
            bus.AddSagaStateMachine<CounterStateMachine, CounterState>()
                .EntityFrameworkRepository<CounterState, CounterDbContext>(lockMode)
                .Endpoint(e => e.ConcurrentMessageLimit = 16);
            // Optimistic conflicts are expected under this contention; each is retried with a fresh DbContext.
            bus.AddConfigureEndpointsCallback((_, _, endpoint) => endpoint.UseMessageRetry(retry => retry.Intervals(
                [.. Enumerable.Range(1, 100).Select(i => TimeSpan.FromMilliseconds(Random.Shared.Next(1, 20)))])));
        });
        var provider = services.BuildServiceProvider(true);
        await new DatabaseInitializer(provider, provider.GetServices<DomainDatabase>(), NullLogger<DatabaseInitializer>.Instance)
            .StartAsync(CancellationToken.None);
        return provider;
    }

    static async Task<CounterState> WaitUntilAsync(IServiceProvider services, Guid id, Func<CounterState, bool> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        CounterState? counter = null;
        while (DateTime.UtcNow < until)
        {
            await using var scope = services.CreateAsyncScope();
            counter = await scope.ServiceProvider.GetRequiredService<CounterDbContext>().Set<CounterState>().AsNoTracking()
                .SingleOrDefaultAsync(c => c.CorrelationId == id);
            if (counter is not null && condition(counter))
                return counter;
            await Task.Delay(50);
        }

        throw new TimeoutException($"Counter state: {counter?.CurrentState} count {counter?.Count} version {counter?.Version}");
    }
}
