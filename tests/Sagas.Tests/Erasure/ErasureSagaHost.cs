using GlobalCommerce.Contracts.Erasure;
using GlobalCommerce.Contracts.Identity;
using GlobalCommerce.Contracts.Notifications;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Contracts.Payments;
using GlobalCommerce.Contracts.Shipping;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Sagas.Erasure;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Sagas.Tests.Erasure;

// The erasure saga on the in-memory test harness with the real EF repository; the five domains are recorders.
public sealed class ErasureSagaHost(ServiceProvider provider) : SagaTestHost(provider)
{
    public static async Task<ErasureSagaHost> StartAsync(CommerceOptions? database = null, int maxAttempts = 3, int concurrency = 0)
    {
        database ??= TestDatabases.Sqlite();
        var settings = new Dictionary<string, string?> { ["Commerce:Erasure:MaxAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        return new ErasureSagaHost(await StartHarnessAsync(settings, immediateRetries: 10, (bus, configuration) =>
        {
            bus.AddErasureSaga(configuration, database);
            Record<EraseOrderData>(bus, QueueNames.EraseOrderData);
            Record<ErasePaymentData>(bus, QueueNames.ErasePaymentData);
            Record<EraseShippingData>(bus, QueueNames.EraseShippingData);
            Record<EraseNotificationData>(bus, QueueNames.EraseNotificationData);
            Record<EraseAccount>(bus, QueueNames.EraseAccount);
            Record<CustomerErased>(bus, new Uri("queue:recorded-customer-erased"));
            Record<ErasureNeedsAttention>(bus, new Uri("queue:recorded-erasure-needs-attention"));
        }, endpoint =>
        {
            if (concurrency > 0)
            {
                endpoint.PrefetchCount = concurrency;
                endpoint.ConcurrentMessageLimit = concurrency;
            }
        }));
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

    public Task StartErasureAsync(EraseCustomer erasure) => SendAsync(QueueNames.ErasureSaga, erasure);

    public Task<ErasureState> WaitForAsync(Guid erasureId, Func<ErasureState, bool> condition, string what) =>
        WaitForSagaAsync(() => LoadAsync(erasureId), condition, TimeSpan.FromSeconds(20),
            saga => $"Erasure {erasureId}: {what} did not happen; it is {saga?.CurrentState ?? "missing"} " +
                $"with [{string.Join(", ", saga?.ConfirmedDomains ?? [])}] confirmed.");

    public Task<ErasureState> WaitForStateAsync(Guid erasureId, string state) => WaitForAsync(erasureId, s => s.CurrentState == state, state);

    public Task<ErasureState?> LoadAsync(Guid erasureId) => QueryAsync<ErasureDbContext, ErasureState?>(db =>
        db.Erasures.AsNoTracking().SingleOrDefaultAsync(e => e.CorrelationId == erasureId));

    public int Count<T>(Func<T, bool> match)
        where T : class => Recorded<T>().Count(match);

    public Task WaitForCountAsync<T>(Func<T, bool> match, int count)
        where T : class =>
        WaitUntilAsync(() => Count(match) >= count, TimeSpan.FromSeconds(20), () => $"Expected {count} {typeof(T).Name}, saw {Count(match)}.");

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
}
