using System.Collections.Concurrent;
using GlobalCommerce.Contracts.Fraud;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Contracts.Payments;
using GlobalCommerce.Contracts.Shipping;
using GlobalCommerce.Platform.Streams;
using GlobalCommerce.Sagas.Orders;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Facts = GlobalCommerce.Contracts.Streams;

namespace GlobalCommerce.Sagas.Tests.Orders;

// order-events: each lifecycle fact is written with the transition that makes it true (the saga row's transaction) and
// read exactly once by a consumer group; a transition that rolls back leaves none.
public sealed class OrderFactsTests
{
    static Task<OrderSagaHost> StartAsync(FailAfterProduce? failure = null)
    {
        var database = TestDatabases.Sqlite();
        return OrderSagaHost.StartAsync(bus =>
        {
            bus.AddSingleton<ReadFacts>();
            // The saga's registration made the stream topology already; this call adds the probe group to it.
            bus.AddCommerceStreams(new ConfigurationBuilder().Build(), database)
                .TopicEndpoint<OrderDbContext>(StreamNames.OrderEvents, "probe", e => e.Consumer<OrderFactRecorder>());
            if (failure is not null)
                bus.ConfigureDbContext<OrderDbContext>(db => db.AddInterceptors(failure));
        }, database);
    }

    [Fact]
    public async Task Each_transition_produces_its_lifecycle_fact_once()
    {
        await using var host = await StartAsync();
        var completed = OrderSagaHost.NewOrder();
        var failed = OrderSagaHost.NewOrder();
        var cancelled = OrderSagaHost.NewOrder();

        foreach (var order in new[] { completed, failed, cancelled })
        {
            await host.SendToSagaAsync(order);
            await host.WaitForStateAsync(order.OrderId, "Pending");
        }

        // A redelivered submission changes nothing and produces nothing.
        await host.SendToSagaAsync(completed);
        foreach (var order in new[] { completed, failed })
        {
            await host.PublishAsync(new InventoryReserved { OrderId = order.OrderId, ReservedAt = DateTimeOffset.UtcNow });
            await host.WaitForSentAsync<AssessFraud>(order.OrderId, m => m.OrderId);
            await host.PublishAsync(new FraudAssessed { OrderId = order.OrderId, Score = 0.05, Reasons = [] });
            await host.WaitForStateAsync(order.OrderId, "AwaitingPayment");
        }

        await host.PublishAsync(new PaymentCompleted { OrderId = completed.OrderId, Amount = 132.30m, Currency = "EUR", GatewayReference = "ch_1" });
        await host.WaitForStateAsync(completed.OrderId, "Confirmed");
        await host.PublishAsync(new PaymentCompleted { OrderId = completed.OrderId, Amount = 132.30m, Currency = "EUR", GatewayReference = "ch_1" });
        await host.PublishAsync(new ShipmentCreated { OrderId = completed.OrderId, Carrier = "DHL", TrackingNumber = "GC123" });
        await host.WaitForStateAsync(completed.OrderId, "Completed");
        await host.PublishAsync(new PaymentDeclined { OrderId = failed.OrderId, Reason = "card_declined" });
        await host.WaitForStateAsync(failed.OrderId, "Failed");
        await host.SendToSagaAsync(new CancelOrder { OrderId = cancelled.OrderId, Reason = "changed my mind", RequestedBy = "customer" });
        await host.WaitForStateAsync(cancelled.OrderId, "Cancelled");

        var lifecycle = await WaitForFactsAsync(host, completed.OrderId, 3);
        Assert.Equal([typeof(Facts.OrderCreated), typeof(Facts.OrderConfirmed), typeof(Facts.OrderCompleted)], lifecycle.Select(f => f.Message.GetType()));
        Assert.All(lifecycle, f => Assert.Equal((StreamNames.OrderEvents, completed.OrderId.ToString()), (f.Stream, f.Key)));
        var created = (Facts.OrderCreated)lifecycle[0].Message;
        Assert.Equal((completed.CustomerId, 132.30m, "EUR", 2, 3, completed.SubmittedAt),
            (created.CustomerId, created.Total, created.Currency, created.LineCount, created.ItemCount, created.SubmittedAt));
        var confirmed = (Facts.OrderConfirmed)lifecycle[1].Message;
        Assert.Equal((completed.CustomerId, 132.30m, "EUR"), (confirmed.CustomerId, confirmed.Total, confirmed.Currency));
        // What the notifications group tells the customer comes from these facts alone.
        var shipped = (Facts.OrderCompleted)lifecycle[2].Message;
        Assert.Equal((completed.CustomerId, "GC123"), (shipped.CustomerId, shipped.TrackingNumber));

        var failure = await WaitForFactsAsync(host, failed.OrderId, 2);
        Assert.IsType<Facts.OrderCreated>(failure[0].Message);
        var reason = Assert.IsType<Facts.OrderFailed>(failure[1].Message);
        Assert.Equal(("AwaitingPayment", "PaymentDeclined"), (reason.Step, reason.Reason));

        var cancellation = await WaitForFactsAsync(host, cancelled.OrderId, 2);
        Assert.IsType<Facts.OrderCreated>(cancellation[0].Message);
        Assert.Equal("Pending", Assert.IsType<Facts.OrderCancelled>(cancellation[1].Message).Step);
        Assert.Equal(0, await UndeliveredAsync(host));
    }

    // A transition whose transaction fails after it produced (the save of saga, inbox and facts throws): the rollback
    // takes the facts with it. An order whose every attempt fails leaves no fact and no saga; one that fails once and is
    // retried leaves the retry's fact only.
    [Fact]
    public async Task A_transition_that_rolls_back_after_producing_reaches_no_consumer_group()
    {
        var failure = new FailAfterProduce(failures: int.MaxValue);
        await using var host = await StartAsync(failure);
        var doomed = OrderSagaHost.NewOrder();
        await host.SendToSagaAsync(doomed);
        // The first delivery and the endpoint's five immediate retries.
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (failure.Failed < 6 && DateTime.UtcNow < until)
            await Task.Delay(25);
        Assert.Equal(6, failure.Failed);

        failure.FailNext(1);
        var retried = OrderSagaHost.NewOrder();
        await host.SendToSagaAsync(retried);
        await host.WaitForStateAsync(retried.OrderId, "Pending");

        var read = Assert.Single(await WaitForFactsAsync(host, retried.OrderId, 1));
        Assert.IsType<Facts.OrderCreated>(read.Message);
        Assert.Equal(7, failure.Failed);
        Assert.DoesNotContain(read.EventId, failure.RolledBack);
        Assert.Empty(Facts(host, doomed.OrderId));
        Assert.Null(await host.LoadAsync(doomed.OrderId));
        Assert.Equal(0, host.SentCount<ReserveInventory>(doomed.OrderId, m => m.OrderId));
        Assert.Equal(0, await UndeliveredAsync(host));
    }

    static IReadOnlyList<ReadFact> Facts(OrderSagaHost host, Guid orderId) => host.Services.GetRequiredService<ReadFacts>().About(orderId);

    // Until `count` facts about the order were read, then a second longer for a copy or a rolled back fact to show up.
    static async Task<IReadOnlyList<ReadFact>> WaitForFactsAsync(OrderSagaHost host, Guid orderId, int count)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (Facts(host, orderId).Count < count && DateTime.UtcNow < until)
            await Task.Delay(25);
        await Task.Delay(TimeSpan.FromSeconds(1));
        return Facts(host, orderId);
    }

    static async Task<int> UndeliveredAsync(OrderSagaHost host)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            await using var scope = host.Services.CreateAsyncScope();
            var waiting = await scope.ServiceProvider.GetRequiredService<OrderDbContext>().Set<StreamOutboxEntry>().CountAsync();
            if (waiting == 0 || DateTime.UtcNow > until)
                return waiting;
            await Task.Delay(50);
        }
    }
}

public sealed record ReadFact(string Stream, string Key, Guid EventId, object Message);

public sealed class ReadFacts
{
    readonly ConcurrentQueue<(Guid OrderId, ReadFact Fact)> _facts = new();

    public void Add(Guid orderId, ReadFact fact) => _facts.Enqueue((orderId, fact));

    public IReadOnlyList<ReadFact> About(Guid orderId) => [.. _facts.Where(f => f.OrderId == orderId).Select(f => f.Fact)];
}

// The "probe" consumer group on order-events.
public sealed class OrderFactRecorder(ReadFacts facts) :
    IStreamConsumer<Facts.OrderCreated>, IStreamConsumer<Facts.OrderConfirmed>, IStreamConsumer<Facts.OrderFailed>,
    IStreamConsumer<Facts.OrderCancelled>, IStreamConsumer<Facts.OrderCompleted>
{
    public Task Consume(StreamContext<Facts.OrderCreated> context) => Record(context, context.Message.OrderId);

    public Task Consume(StreamContext<Facts.OrderConfirmed> context) => Record(context, context.Message.OrderId);

    public Task Consume(StreamContext<Facts.OrderFailed> context) => Record(context, context.Message.OrderId);

    public Task Consume(StreamContext<Facts.OrderCancelled> context) => Record(context, context.Message.OrderId);

    public Task Consume(StreamContext<Facts.OrderCompleted> context) => Record(context, context.Message.OrderId);

    Task Record<T>(StreamContext<T> context, Guid orderId)
        where T : class
    {
        facts.Add(orderId, new ReadFact(context.Stream, context.PartitionKey, context.EventId, context.Message));
        return Task.CompletedTask;
    }
}

// Fails saves that wrote stream outbox rows, after writing them inside the message's transaction, while failures are
// left; keeps the event ids it rolled back (the rows are not tracked entities: StreamOutboxRows says what it wrote).
public sealed class FailAfterProduce(int failures) : SaveChangesInterceptor
{
    int _remaining = failures;
    int _failed;

    public ConcurrentQueue<Guid> RolledBack { get; } = new();

    public int Failed => Volatile.Read(ref _failed);

    public void FailNext(int count) => Volatile.Write(ref _remaining, count);

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        var produced = StreamOutboxRows.WrittenInTransaction(eventData.Context!);
        if (produced.Count > 0 && Interlocked.Decrement(ref _remaining) >= 0)
        {
            foreach (var id in produced)
                RolledBack.Enqueue(id);
            Interlocked.Increment(ref _failed);
            throw new InvalidOperationException("Injected failure after the transition produced its facts");
        }

        return ValueTask.FromResult(result);
    }
}
