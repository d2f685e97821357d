using GlobalCommerce.Api.Orders;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Sagas.Orders;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace GlobalCommerce.Api.Tests.Orders;

// What counts as in flight, read from order_db as it is on either store: sagas waiting on machine work, and accepted
// orders whose saga has not started yet. Orders that ended, and orders held for a person's review, do not count.
public sealed class OrdersInFlightTests
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Counts_working_and_not_yet_started_orders_and_admits_up_to_the_limit(DatabaseProvider provider)
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var services = await OrderDatabaseAsync(provider, clock, maxInFlight: 4);
        var pending = await AddOrderAsync(services, clock, "Pending");
        await AddOrderAsync(services, clock, "AwaitingPayment");
        await AddOrderAsync(services, clock, "AwaitingFraudReview");
        await AddOrderAsync(services, clock, "Completed");
        await AddOrderAsync(services, clock, "Cancelled");
        await AddOrderAsync(services, clock, state: null);
        // Accepted long ago and never started: its SubmitOrder is not coming, and it must not hold the door shut.
        await AddOrderAsync(services, clock, state: null, acceptedAgo: TimeSpan.FromMinutes(5));
        var inFlight = services.GetRequiredService<OrdersInFlight>();

        // Three in flight; the fourth place is taken by the first admission, without waiting for the next read.
        Assert.True(await inFlight.TryAdmitAsync(CancellationToken.None));
        Assert.False(await inFlight.TryAdmitAsync(CancellationToken.None));

        // An order ends: nothing is read again within a quarter of a second, however many submissions arrive.
        await EndAsync(services, pending);
        Assert.False(await inFlight.TryAdmitAsync(CancellationToken.None));

        // The next read sees two in flight (the admission above stored nothing, like a submission refused as invalid).
        clock.Advance(TimeSpan.FromMilliseconds(300));
        Assert.True(await inFlight.TryAdmitAsync(CancellationToken.None));
        Assert.True(await inFlight.TryAdmitAsync(CancellationToken.None));
        Assert.False(await inFlight.TryAdmitAsync(CancellationToken.None));
    }

    static async Task<ServiceProvider> OrderDatabaseAsync(DatabaseProvider provider, TimeProvider clock, int maxInFlight)
    {
        var options = provider == DatabaseProvider.Postgres
            ? new CommerceOptions
            {
                DatabaseProvider = DatabaseProvider.Postgres,
                PostgresConnection = Environment.GetEnvironmentVariable("GC_TEST_POSTGRES")
                    ?? throw new InvalidOperationException("GC_TEST_POSTGRES is not set: run the suite with scripts/test.sh."),
                DatabasePrefix = "inflight" + Guid.NewGuid().ToString("N")[..8] + "_",
            }
            : new CommerceOptions
            {
                DatabaseProvider = DatabaseProvider.Sqlite,
                DataDirectory = Path.Combine(Path.GetTempPath(), "gc-api-tests", Guid.NewGuid().ToString("N")),
            };
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(clock)
            .AddSingleton(new OrderAdmissionOptions { MaxInFlight = maxInFlight })
            .AddSingleton<OrdersInFlight>()
            .AddOrderDatabase(options)
            .BuildServiceProvider(true);
        await new DatabaseInitializer(services, services.GetServices<DomainDatabase>(), NullLogger<DatabaseInitializer>.Instance)
            .StartAsync(CancellationToken.None);
        return services;
    }

    // An accepted order, and its saga in the given state (none: not started yet).
    static async Task<Guid> AddOrderAsync(IServiceProvider services, TimeProvider clock, string? state, TimeSpan acceptedAgo = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrderDbContext>();
        var orderId = Guid.NewGuid();
        var acceptedAt = clock.GetUtcNow() - acceptedAgo;
        db.Requests.Add(new OrderRequest { OrderId = orderId, CustomerId = Guid.NewGuid(), RequestHash = "hash", Submission = "{}", AcceptedAt = acceptedAt });
        if (state is not null)
        {
            db.Orders.Add(new OrderState
            {
                CorrelationId = orderId,
                CurrentState = state,
                Currency = "EUR",
                PaymentToken = "tok_visa",
                ShippingAddress = new ShippingAddress { Name = "Ada Lovelace", Line1 = "1 Main St", City = "Berlin", PostalCode = "10115", Country = "DE" },
                SubmittedAt = acceptedAt,
                UpdatedAt = acceptedAt,
            });
        }

        await db.SaveChangesAsync();
        return orderId;
    }

    static async Task EndAsync(IServiceProvider services, Guid orderId)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrderDbContext>();
        await db.Orders.Where(order => order.CorrelationId == orderId).ExecuteUpdateAsync(set => set.SetProperty(order => order.CurrentState, "Completed"));
    }

    sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;

        public void Advance(TimeSpan by) => now += by;
    }
}
