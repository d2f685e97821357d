using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Messaging;
using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Consumers.Tests.Support;

// One test's world: the real consumers on MassTransit's in-memory test harness, with the production endpoint
// policy (retry) and each domain's transactional outbox and kebab-case queue names, over databases created for this test alone.
public sealed class ConsumerTestHost : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    // A cancelled token turns the harness's waiting lists into a snapshot of what has been seen so far.
    static readonly CancellationToken Snapshot = new(canceled: true);

    readonly ServiceProvider _provider;

    ConsumerTestHost(ServiceProvider provider, CommerceOptions options, ITestHarness harness)
    {
        _provider = provider;
        Options = options;
        Harness = harness;
    }

    public CommerceOptions Options { get; }

    public ITestHarness Harness { get; }

    public IServiceProvider Services => _provider;

    public static async Task<ConsumerTestHost> StartAsync(
        DatabaseProvider provider,
        Action<IBusRegistrationConfigurator, IConfiguration, CommerceOptions> register,
        IReadOnlyDictionary<string, string?>? settings = null,
        int concurrentMessageLimit = 0)
    {
        var options = TestDatabases.For(provider);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMassTransitTestHarness(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            bus.AddConfigureEndpointsCallback((_, _, endpoint) =>
            {
                CommerceBus.ApplyEndpointPolicy(endpoint);
                if (concurrentMessageLimit > 0)
                {
                    endpoint.PrefetchCount = concurrentMessageLimit;
                    endpoint.ConcurrentMessageLimit = concurrentMessageLimit;
                }
            });
            register(bus, configuration, options);
            EventRecorder.Subscribe(bus);
        });

        var serviceProvider = services.BuildServiceProvider(validateScopes: true);
        try
        {
            await TestDatabases.CreateAsync(serviceProvider);
            var harness = serviceProvider.GetRequiredService<ITestHarness>();
            await harness.Start();
            return new ConsumerTestHost(serviceProvider, options, harness);
        }
        catch
        {
            await TestDatabases.DropAsync(serviceProvider, options);
            await serviceProvider.DisposeAsync();
            throw;
        }
    }

    public async Task SendAsync<T>(Uri queue, T message)
        where T : class
    {
        var endpoint = await Harness.Bus.GetSendEndpoint(queue);
        await endpoint.Send(message);
    }

    public IReadOnlyList<T> Published<T>(Func<T, bool>? match = null)
        where T : class =>
        _provider.GetRequiredService<EventRecorder>().Of<T>().Where(match ?? (_ => true)).ToList();

    public async Task<IReadOnlyList<T>> WaitForPublishedAsync<T>(Func<T, bool> match, int count = 1)
        where T : class
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var found = Published(match);
            if (found.Count >= count)
                return found;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Expected {count} matching {typeof(T).Name}, saw {found.Count} within {Patience}");
            await Task.Delay(20);
        }
    }

    // Waits until the consumer has finished with `count` deliveries matching (successfully), then a little longer
    // so that anything it published has been recorded before a test asserts that nothing was.
    public async Task WaitForConsumedAsync<T>(Func<T, bool> match, int count = 1)
        where T : class
    {
        var deadline = DateTime.UtcNow + Patience;
        while (Harness.Consumed.Select<T>(m => m.Exception is null && match(m.Context.Message), Snapshot).Count() < count)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Expected {count} successful deliveries of {typeof(T).Name} within {Patience}");
            await Task.Delay(20);
        }

        await Task.Delay(200);
    }

    public async Task<TResult> QueryAsync<TContext, TResult>(Func<TContext, Task<TResult>> query)
        where TContext : DbContext
    {
        await using var scope = _provider.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<TContext>());
    }

    public async Task SaveAsync<TContext>(params object[] entities)
        where TContext : DbContext
    {
        await using var scope = _provider.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        db.AddRange(entities);
        await db.SaveChangesAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Harness.Stop();
        await TestDatabases.DropAsync(_provider, Options);
        await _provider.DisposeAsync();
    }
}
