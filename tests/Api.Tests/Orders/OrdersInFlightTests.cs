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

    // While submissions are refused, the limit follows how long the orders in flight have waited (the median of their
    // acceptance times, read from order_db): a backlog older than half the target latency shrinks it, a young one lets
    // it grow again, never past MaxInFlight nor under MinInFlight.
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task The_limit_shrinks_while_the_orders_in_flight_wait_too_long_and_grows_back_when_they_do_not(DatabaseProvider provider)
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var options = new OrderAdmissionOptions { MaxInFlight = 40, MinInFlight = 4, TargetLatency = TimeSpan.FromSeconds(1) };
        await using var services = await OrderDatabaseAsync(provider, clock, options);
        var inFlight = services.GetRequiredService<OrdersInFlight>();
        var limit = services.GetRequiredService<InFlightLimit>();
        Assert.Equal(4, limit.Current);

        // Four orders accepted three seconds ago, still working (three of them waiting for their saga to start): the limit
        // is full, the fifth submission is refused, and the next count finds them waiting far past half a second.
        await AddOrderAsync(services, clock, "Pending", acceptedAgo: TimeSpan.FromSeconds(3));
        for (var i = 0; i < 3; i++)
            await AddOrderAsync(services, clock, state: null, acceptedAgo: TimeSpan.FromSeconds(3));
        Assert.False(await inFlight.TryAdmitAsync(CancellationToken.None));
        clock.Advance(TimeSpan.FromSeconds(1.1));
        Assert.False(await inFlight.TryAdmitAsync(CancellationToken.None));
        Assert.Equal(4, limit.Current);

        // Six orders accepted just now make the median young: refused again, the limit grows (× 1.25 + 1 a second).
        clock.Advance(TimeSpan.FromSeconds(1.1));
        for (var i = 0; i < 6; i++)
            await AddOrderAsync(services, clock, "AwaitingPayment");
        Assert.False(await inFlight.TryAdmitAsync(CancellationToken.None));
        Assert.Equal(6, limit.Current);

        // The old ones are still there and the young ones age: past half a second, the limit shrinks back to the floor.
        clock.Advance(TimeSpan.FromSeconds(5));
        for (var i = 0; i < 4; i++)
        {
            Assert.False(await inFlight.TryAdmitAsync(CancellationToken.None));
            clock.Advance(TimeSpan.FromSeconds(1.1));
        }

        Assert.Equal(4, limit.Current);
    }

    static Task<ServiceProvider> OrderDatabaseAsync(DatabaseProvider provider, TimeProvider clock, int maxInFlight) =>
        OrderDatabaseAsync(provider, clock, new OrderAdmissionOptions { MaxInFlight = maxInFlight });

    static async Task<ServiceProvider> OrderDatabaseAsync(DatabaseProvider provider, TimeProvider clock, OrderAdmissionOptions admission)
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
            .AddSingleton(admission)
            .AddSingleton<InFlightLimit>()
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
