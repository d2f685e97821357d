using GlobalCommerce.Contracts.Fraud;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Contracts.Payments;
using GlobalCommerce.Contracts.Shipping;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Sagas.Orders;
using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace GlobalCommerce.Sagas.Tests.Orders;

// The order saga on MassTransit's in-memory test harness with the real EF repository on a database of its own.
public sealed class OrderSagaHost : IAsyncDisposable
{
    readonly ServiceProvider _provider;

    OrderSagaHost(ServiceProvider provider)
    {
        _provider = provider;
        Harness = provider.GetRequiredService<ITestHarness>();
    }

    public ITestHarness Harness { get; }

    public IServiceProvider Services => _provider;

    public static async Task<OrderSagaHost> StartAsync(Action<IBusRegistrationConfigurator>? extra = null, CommerceOptions? database = null,
        int maxStepAttempts = 3)
    {
        database ??= TestDatabases.Sqlite();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Commerce:Orders:MaxStepAttempts"] = maxStepAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            .Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMassTransitTestHarness(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            bus.SetTestTimeouts(testInactivityTimeout: TimeSpan.FromMilliseconds(300));
            bus.AddConfigureEndpointsCallback((_, _, endpoint) =>
            {
                endpoint.UseMessageRetry(retry => retry.Immediate(5));
            });
            bus.AddOrderSaga(configuration, database);
            services.AddSingleton<MessageRecorder>();
            Record<ReserveInventory>(bus, QueueNames.ReserveInventory);
            Record<CommitInventory>(bus, QueueNames.CommitInventory);
            Record<ReleaseInventory>(bus, QueueNames.ReleaseInventory);
            Record<AssessFraud>(bus, QueueNames.AssessFraud);
            Record<ChargePayment>(bus, QueueNames.ChargePayment);
            Record<RefundPayment>(bus, QueueNames.RefundPayment);
            Record<CheckPayment>(bus, QueueNames.CheckPayment);
            Record<CreateShipment>(bus, QueueNames.CreateShipment);
            Record<CancelShipment>(bus, QueueNames.CancelShipment);
            Record<OrderConfirmed>(bus, new Uri("queue:recorded-order-confirmed"));
            Record<OrderCompleted>(bus, new Uri("queue:recorded-order-completed"));
            Record<OrderFailed>(bus, new Uri("queue:recorded-order-failed"));
            Record<OrderCancelled>(bus, new Uri("queue:recorded-order-cancelled"));
            extra?.Invoke(bus);
        });
        var provider = services.BuildServiceProvider(true);
        await new DatabaseInitializer(provider, provider.GetServices<DomainDatabase>(), NullLogger<DatabaseInitializer>.Instance)
            .StartAsync(CancellationToken.None);
        var host = new OrderSagaHost(provider);
        await host.Harness.Start();
        return host;
    }

    public static SubmitOrder NewOrder(string paymentToken = "tok_visa") => new()
    {
        OrderId = NewId.NextGuid(),
        CustomerId = Guid.NewGuid(),
        Lines =
        [
            new OrderLine { ProductId = Guid.NewGuid(), Sku = "AUD-001", Name = "Headphones", Quantity = 2, UnitPrice = 59.90m },
            new OrderLine { ProductId = Guid.NewGuid(), Sku = "BK-001", Name = "Book", Quantity = 1, UnitPrice = 12.50m },
        ],
        Total = 132.30m,
        Currency = "EUR",
        ShippingAddress = new ShippingAddress { Name = "Ada Lovelace", Line1 = "1 Main St", City = "Berlin", PostalCode = "10115", Country = "DE" },
        PaymentToken = paymentToken,
        SubmittedAt = DateTimeOffset.UtcNow,
    };

    public async Task SendToSagaAsync<T>(T message)
        where T : class
    {
        var endpoint = await Harness.Bus.GetSendEndpoint(QueueNames.OrderSaga);
        await endpoint.Send(message);
    }

    public Task PublishAsync<T>(T message)
        where T : class => Harness.Bus.Publish(message);

    public async Task<OrderState> WaitForStateAsync(Guid orderId, string state, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        OrderState? saga = null;
        while (DateTime.UtcNow < until)
        {
            saga = await LoadAsync(orderId);
            if (saga?.CurrentState == state)
                return saga;
            await Task.Delay(25);
        }

        throw new TimeoutException($"Order {orderId} did not reach {state}; it is {saga?.CurrentState ?? "missing"}.");
    }

    public async Task<OrderState?> LoadAsync(Guid orderId)
    {
        await using var scope = _provider.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrderDbContext>();
        return await db.Orders.AsNoTracking().Include(o => o.History.OrderBy(t => t.Id)).SingleOrDefaultAsync(o => o.CorrelationId == orderId);
    }

    public async Task<int> CountSagasAsync(Guid orderId)
    {
        await using var scope = _provider.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<OrderDbContext>().Orders.CountAsync(o => o.CorrelationId == orderId);
    }

    public IReadOnlyList<T> Recorded<T>()
        where T : class => _provider.GetRequiredService<MessageRecorder>().Of<T>();

    public int SentCount<T>(Guid orderId, Func<T, Guid> key)
        where T : class => Recorded<T>().Count(m => key(m) == orderId);

    static void Record<T>(IBusRegistrationConfigurator bus, Uri queue)
        where T : class =>
        bus.AddConsumer<Recorder<T>>().Endpoint(e => e.Name = queue.AbsolutePath);

    // Waits until the harness has seen N sends of a command (sends happen after the saga's transaction commits).
    public async Task WaitForSentAsync<T>(Guid orderId, Func<T, Guid> key, int count = 1)
        where T : class
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (SentCount(orderId, key) < count)
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"Expected {count} {typeof(T).Name} for {orderId}, saw {SentCount(orderId, key)}.");
            await Task.Delay(25);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Harness.Stop();
        await _provider.DisposeAsync();
    }
}
