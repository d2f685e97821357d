using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using GlobalCommerce.Sagas.Persistence;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Sagas.Orders;

public static class OrderSagaRegistration
{
    // order_db, readable by the API even where the saga itself runs in another process.
    public static IServiceCollection AddOrderDatabase(this IServiceCollection services, CommerceOptions options) =>
        services.AddDomainDbContext<OrderDbContext>(options, "orders");

    // What a host runs for orders: the saga, its deadline sweeper, the orders-by-state gauge and the fault log.
    public static IBusRegistrationConfigurator AddOrderProcessing(this IBusRegistrationConfigurator bus, IConfiguration configuration, CommerceOptions options)
    {
        bus.AddOrderSaga(configuration, options);
        bus.AddDeadlineSweeper<OrderState, OrderDbContext, OrderDeadlineExpired>(configuration,
            provider => DeadlineExpiry(provider.GetRequiredService<OrderStateMachine>().Shape));
        bus.AddHostedService<OrdersByStateGauge>();
        bus.AddConsumer<FaultLogOnCommandFaultedConsumer>();
        return bus;
    }

    // The order saga's deadlines: OrderDeadlineExpired, postponed while the queues a waiting state's reply passes through are backlogged.
    public static DeadlineExpiry<OrderState, OrderDeadlineExpired> DeadlineExpiry(OrderSagaShape shape) =>
        new("order", (orderId, deadlineAt) => new OrderDeadlineExpired { OrderId = orderId, DeadlineAt = deadlineAt })
        {
            AwaitedQueues = shape.AwaitedQueues,
        };

    public static IBusRegistrationConfigurator AddOrderSaga(this IBusRegistrationConfigurator bus, IConfiguration configuration, CommerceOptions options)
    {
        bus.AddOrderDatabase(options);
        bus.AddConsumer<EraseOrderDataConsumer>();
        bus.AddCommerceSaga<OrderStateMachine, OrderState, OrderDbContext, OrderSagaOptions>(configuration, options, OrderSagaOptions.Section,
            EndpointNames.Consumer<EraseOrderDataConsumer>());
        // The saga's lifecycle facts, written to order_db's stream outbox with the saga row and relayed from this host.
        bus.AddCommerceStreams(configuration, options)
            .Produce<Contracts.Streams.OrderCreated>(StreamNames.OrderEvents)
            .Produce<Contracts.Streams.OrderConfirmed>(StreamNames.OrderEvents)
            .Produce<Contracts.Streams.OrderFailed>(StreamNames.OrderEvents)
            .Produce<Contracts.Streams.OrderCancelled>(StreamNames.OrderEvents)
            .Produce<Contracts.Streams.OrderCompleted>(StreamNames.OrderEvents)
            .Outbox<OrderDbContext>();
        return bus;
    }
}
