using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Sagas.Persistence;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GlobalCommerce.Sagas.Orders;

public static class OrderSagaRegistration
{
    // order_db, readable by the API even where the saga itself runs in another process.
    public static IServiceCollection AddOrderDatabase(this IServiceCollection services, CommerceOptions options) =>
        services.AddDomainDbContext<OrderDbContext>(options, "orders");

    public static IBusRegistrationConfigurator AddOrderSaga(this IBusRegistrationConfigurator bus, IConfiguration configuration, CommerceOptions options)
    {
        var sagaOptions = new OrderSagaOptions();
        configuration.GetSection(OrderSagaOptions.Section).Bind(sagaOptions);
        bus.TryAddSingleton(sagaOptions);
        bus.TryAddSingleton(TimeProvider.System);
        bus.AddOrderDatabase(options);

        var lockMode = options.DatabaseProvider == DatabaseProvider.Postgres ? SagaLockMode.Pessimistic : SagaLockMode.Optimistic;
        bus.AddSagaStateMachine<OrderStateMachine, OrderState>()
            .EntityFrameworkRepository<OrderState, OrderDbContext>(lockMode);
        bus.AddConsumer<EraseOrderDataConsumer>();
        bus.AddTransactionalOutbox<OrderDbContext>(configuration, KebabCaseEndpointNameFormatter.Instance.Saga<OrderState>(),
            KebabCaseEndpointNameFormatter.Instance.Consumer<EraseOrderDataConsumer>());
        return bus;
    }
}
