using GlobalCommerce.Consumers.Fraud;
using GlobalCommerce.Consumers.Inventory;
using GlobalCommerce.Consumers.Notifications;
using GlobalCommerce.Consumers.Payments;
using GlobalCommerce.Consumers.Shipping;
using GlobalCommerce.Platform;
using GlobalCommerce.Sagas.Erasure;
using GlobalCommerce.Sagas.Orders;
using GlobalCommerce.Workers.Erasure;
using GlobalCommerce.Workers.Orders;
using MassTransit;

namespace GlobalCommerce.Workers;

// Everything a worker host runs: the order and erasure sagas, every domain's consumers, the deadline sweepers, the
// orders-by-state gauge and the fault log support staff read. (The identity domain's erasure consumer runs with the API,
// which owns auth_db.)
// The embedded default runs the same set inside the API process.
public static class OrderProcessing
{
    public static IBusRegistrationConfigurator AddOrderProcessing(this IBusRegistrationConfigurator bus, IConfiguration configuration, CommerceOptions options)
    {
        bus.AddOrderSaga(configuration, options);
        bus.AddErasureSaga(configuration, options);
        bus.AddInventory(configuration, options);
        bus.AddFraud(configuration, options);
        bus.AddPayments(configuration, options);
        bus.AddShipping(configuration, options);
        bus.AddNotifications(configuration, options);

        var sweeper = new SweeperOptions();
        configuration.GetSection(SweeperOptions.Section).Bind(sweeper);
        bus.AddSingleton(sweeper);
        bus.AddSingleton<DeadlineSweeper>();
        bus.AddHostedService(provider => provider.GetRequiredService<DeadlineSweeper>());
        bus.AddSingleton<ErasureDeadlineSweeper>();
        bus.AddHostedService(provider => provider.GetRequiredService<ErasureDeadlineSweeper>());
        bus.AddHostedService<OrdersByStateGauge>();
        bus.AddConsumer<FaultLogOnCommandFaultedConsumer>();
        return bus;
    }
}
