using GlobalCommerce.Contracts.Fraud;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Contracts.Payments;
using GlobalCommerce.Contracts.Shipping;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Platform;
using GlobalCommerce.Sagas.Orders;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Sagas.Tests.Orders;

// The order saga on MassTransit's in-memory test harness with the real EF repository on a database of its own.
public sealed class OrderSagaHost(ServiceProvider provider) : SagaTestHost(provider)
{
    public static async Task<OrderSagaHost> StartAsync(Action<IBusRegistrationConfigurator>? extra = null, CommerceOptions? database = null,
        int maxStepAttempts = 3)
    {
        database ??= TestDatabases.Sqlite();
        var settings = new Dictionary<string, string?>
        {
            ["Commerce:Orders:MaxStepAttempts"] = maxStepAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // The harness starts the stream host (order_db's outbox relay, any consumer group a test adds): a stream file
            // of the test's own, read without long waits.
            ["Commerce:Streams:EmbeddedPath"] = Path.Combine(Path.GetTempPath(), "gc-tests", $"streams-{Guid.NewGuid():N}.db"),
            ["Commerce:Streams:ReadWait"] = "00:00:00.200",
            ["Commerce:Streams:LeaseDuration"] = "00:00:03",
            ["Commerce:Streams:RelayPollInterval"] = "00:00:00.100",
        };
        return new OrderSagaHost(await StartHarnessAsync(settings, immediateRetries: 5, (bus, configuration) =>
        {
            bus.AddOrderSaga(configuration, database);
            Record<ReserveInventory>(bus, QueueNames.ReserveInventory);
            Record<CommitInventory>(bus, QueueNames.CommitInventory);
            Record<ReleaseInventory>(bus, QueueNames.ReleaseInventory);
            Record<AssessFraud>(bus, QueueNames.AssessFraud);
            Record<ChargePayment>(bus, QueueNames.ChargePayment);
            Record<RefundPayment>(bus, QueueNames.RefundPayment);
            Record<CheckPayment>(bus, QueueNames.CheckPayment);
            Record<CreateShipment>(bus, QueueNames.CreateShipment);
            Record<CancelShipment>(bus, QueueNames.CancelShipment);
            Record<OrderFailed>(bus, new Uri("queue:recorded-order-failed"));
            Record<OrderCancelled>(bus, new Uri("queue:recorded-order-cancelled"));
            extra?.Invoke(bus);
        }));
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

    public Task SendToSagaAsync<T>(T message)
        where T : class => SendAsync(QueueNames.OrderSaga, message);

    public Task<OrderState> WaitForStateAsync(Guid orderId, string state, TimeSpan? timeout = null) =>
        WaitForSagaAsync(() => LoadAsync(orderId), saga => saga.CurrentState == state, timeout ?? TimeSpan.FromSeconds(15),
            saga => $"Order {orderId} did not reach {state}; it is {saga?.CurrentState ?? "missing"}.");

    public Task<OrderState?> LoadAsync(Guid orderId) => QueryAsync<OrderDbContext, OrderState?>(db =>
        db.Orders.AsNoTracking().Include(o => o.History.OrderBy(t => t.Id)).SingleOrDefaultAsync(o => o.CorrelationId == orderId));

    public Task<int> CountSagasAsync(Guid orderId) =>
        QueryAsync<OrderDbContext, int>(db => db.Orders.CountAsync(o => o.CorrelationId == orderId));

    public int SentCount<T>(Guid orderId, Func<T, Guid> key)
        where T : class => Recorded<T>().Count(m => key(m) == orderId);

    // Waits until the harness has seen N sends of a command (sends happen after the saga's transaction commits).
    public Task WaitForSentAsync<T>(Guid orderId, Func<T, Guid> key, int count = 1)
        where T : class =>
        WaitUntilAsync(() => SentCount(orderId, key) >= count, TimeSpan.FromSeconds(15),
            () => $"Expected {count} {typeof(T).Name} for {orderId}, saw {SentCount(orderId, key)}.");
}
