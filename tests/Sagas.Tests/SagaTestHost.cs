using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Sagas.Tests.Orders;
using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace GlobalCommerce.Sagas.Tests;

// A saga on MassTransit's in-memory test harness with the real EF repository on a database of its own; the domains it
// commands are recorders at their real queues. Each saga's host adds its own registration, messages and waits.
public abstract class SagaTestHost(ServiceProvider provider) : IAsyncDisposable
{
    public ITestHarness Harness { get; } = provider.GetRequiredService<ITestHarness>();

    public IServiceProvider Services => provider;

    protected static async Task<ServiceProvider> StartHarnessAsync(IReadOnlyDictionary<string, string?> settings, int immediateRetries,
        Action<IBusRegistrationConfigurator, IConfiguration> register, Action<IReceiveEndpointConfigurator>? configureEndpoint = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<MessageRecorder>();
        services.AddMassTransitTestHarness(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            bus.SetTestTimeouts(testInactivityTimeout: TimeSpan.FromMilliseconds(300));
            bus.AddConfigureEndpointsCallback((_, _, endpoint) =>
            {
                endpoint.UseMessageRetry(retry => retry.Immediate(immediateRetries));
                configureEndpoint?.Invoke(endpoint);
            });
            register(bus, configuration);
        });
        var built = services.BuildServiceProvider(true);
        await new DatabaseInitializer(built, built.GetServices<DomainDatabase>(), NullLogger<DatabaseInitializer>.Instance)
            .StartAsync(CancellationToken.None);
        await built.GetRequiredService<ITestHarness>().Start();
        return built;
    }

    protected static void Record<T>(IBusRegistrationConfigurator bus, Uri queue)
        where T : class =>
        bus.AddConsumer<Recorder<T>>().Endpoint(e => e.Name = queue.AbsolutePath);

    public Task PublishAsync<T>(T message)
        where T : class => Harness.Bus.Publish(message);

    protected async Task SendAsync<T>(Uri queue, T message)
        where T : class
    {
        var endpoint = await Harness.Bus.GetSendEndpoint(queue);
        await endpoint.Send(message);
    }

    public IReadOnlyList<T> Recorded<T>()
        where T : class => provider.GetRequiredService<MessageRecorder>().Of<T>();

    protected async Task<TResult> QueryAsync<TDbContext, TResult>(Func<TDbContext, Task<TResult>> query)
        where TDbContext : DbContext
    {
        await using var scope = provider.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<TDbContext>());
    }

    // Polls the saga's row until it satisfies the condition; the saga commits after the harness has seen the message.
    protected static async Task<TState> WaitForSagaAsync<TState>(Func<Task<TState?>> load, Func<TState, bool> condition, TimeSpan timeout,
        Func<TState?, string> failure)
        where TState : class
    {
        var until = DateTime.UtcNow + timeout;
        TState? saga = null;
        while (DateTime.UtcNow < until)
        {
            saga = await load();
            if (saga is not null && condition(saga))
                return saga;
            await Task.Delay(25);
        }

        throw new TimeoutException(failure(saga));
    }

    // Polls until the condition holds; sends happen after the saga's transaction commits.
    protected static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> failure)
    {
        var until = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException(failure());
            await Task.Delay(25);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Harness.Stop();
        await provider.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
