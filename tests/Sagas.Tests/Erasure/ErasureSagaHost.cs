using GlobalCommerce.Contracts.Erasure;
using GlobalCommerce.Contracts.Identity;
using GlobalCommerce.Contracts.Notifications;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Contracts.Payments;
using GlobalCommerce.Contracts.Shipping;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Sagas.Erasure;
using GlobalCommerce.Sagas.Tests.Orders;
using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace GlobalCommerce.Sagas.Tests.Erasure;

// The erasure saga on the in-memory test harness with the real EF repository; the five domains are recorders.
public sealed class ErasureSagaHost : IAsyncDisposable
{
    readonly ServiceProvider _provider;

    ErasureSagaHost(ServiceProvider provider)
    {
        _provider = provider;
        Harness = provider.GetRequiredService<ITestHarness>();
    }

    public ITestHarness Harness { get; }

    public static async Task<ErasureSagaHost> StartAsync(CommerceOptions? database = null, int maxAttempts = 3, int concurrency = 0)
    {
        database ??= TestDatabases.Sqlite();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Commerce:Erasure:MaxAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            .Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMassTransitTestHarness(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            bus.SetTestTimeouts(testInactivityTimeout: TimeSpan.FromMilliseconds(300));
            bus.AddConfigureEndpointsCallback((_, _, endpoint) =>
            {
                endpoint.UseMessageRetry(retry => retry.Immediate(10));
                if (concurrency > 0)
                {
                    endpoint.PrefetchCount = concurrency;
                    endpoint.ConcurrentMessageLimit = concurrency;
                }
            });
            bus.AddErasureSaga(configuration, database);
            services.AddSingleton<MessageRecorder>();
            Record<EraseOrderData>(bus, QueueNames.EraseOrderData);
            Record<ErasePaymentData>(bus, QueueNames.ErasePaymentData);
            Record<EraseShippingData>(bus, QueueNames.EraseShippingData);
            Record<EraseNotificationData>(bus, QueueNames.EraseNotificationData);
            Record<EraseAccount>(bus, QueueNames.EraseAccount);
            Record<CustomerErased>(bus, new Uri("queue:recorded-customer-erased"));
            Record<ErasureNeedsAttention>(bus, new Uri("queue:recorded-erasure-needs-attention"));
        });
        var provider = services.BuildServiceProvider(true);
        await new DatabaseInitializer(provider, provider.GetServices<DomainDatabase>(), NullLogger<DatabaseInitializer>.Instance)
            .StartAsync(CancellationToken.None);
        var host = new ErasureSagaHost(provider);
        await host.Harness.Start();
        return host;
    }

    public static EraseCustomer NewErasure() => new()
    {
        ErasureId = Guid.NewGuid(),
        CustomerId = Guid.NewGuid(),
        OrderIds = [NewId.NextGuid(), NewId.NextGuid()],
        RequestedAt = DateTimeOffset.UtcNow,
    };

    public static CustomerDataErased Confirmation(EraseCustomer erasure, string domain) => new()
    {
        ErasureId = erasure.ErasureId,
        CustomerId = erasure.CustomerId,
        Domain = domain,
        ErasedAt = DateTimeOffset.UtcNow,
    };

    public async Task StartErasureAsync(EraseCustomer erasure)
    {
        var endpoint = await Harness.Bus.GetSendEndpoint(QueueNames.ErasureSaga);
        await endpoint.Send(erasure);
    }

    public Task PublishAsync<T>(T message)
        where T : class => Harness.Bus.Publish(message);

    public async Task<ErasureState> WaitForAsync(Guid erasureId, Func<ErasureState, bool> condition, string what)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        ErasureState? saga = null;
        while (DateTime.UtcNow < until)
        {
            saga = await LoadAsync(erasureId);
            if (saga is not null && condition(saga))
                return saga;
            await Task.Delay(25);
        }

        throw new TimeoutException($"Erasure {erasureId}: {what} did not happen; it is {saga?.CurrentState ?? "missing"} " +
            $"with [{string.Join(", ", saga?.ConfirmedDomains ?? [])}] confirmed.");
    }

    public Task<ErasureState> WaitForStateAsync(Guid erasureId, string state) => WaitForAsync(erasureId, s => s.CurrentState == state, state);

    public async Task<ErasureState?> LoadAsync(Guid erasureId)
    {
        await using var scope = _provider.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ErasureDbContext>().Erasures.AsNoTracking()
            .SingleOrDefaultAsync(e => e.CorrelationId == erasureId);
    }

    public int Count<T>(Func<T, bool> match)
        where T : class => _provider.GetRequiredService<MessageRecorder>().Of<T>().Count(match);

    public async Task WaitForCountAsync<T>(Func<T, bool> match, int count)
        where T : class
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (Count(match) < count)
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"Expected {count} {typeof(T).Name}, saw {Count(match)}.");
            await Task.Delay(25);
        }
    }

    public async Task WaitForConsumedAsync<T>(Func<T, bool> match, int count)
        where T : class
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (Harness.Consumed.Select<T>(m => m.Exception is null && match(m.Context.Message), new CancellationToken(true)).Count() < count)
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"Expected {count} consumed {typeof(T).Name}.");
            await Task.Delay(25);
        }

        await Task.Delay(200);
    }

    static void Record<T>(IBusRegistrationConfigurator bus, Uri queue)
        where T : class =>
        bus.AddConsumer<Recorder<T>>().Endpoint(e => e.Name = queue.AbsolutePath);

    public async ValueTask DisposeAsync()
    {
        await Harness.Stop();
        await _provider.DisposeAsync();
    }
}
