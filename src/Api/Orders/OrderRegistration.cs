using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Sagas.Orders;

namespace GlobalCommerce.Api.Orders;

public static class OrderRegistration
{
    // The API's side of orders: it stores each accepted order with the bus-outbox message that starts its saga, reads
    // order_db for status, and admits only so many submissions at once. The saga runs wherever the mode puts it.
    public static IServiceCollection AddOrders(this IServiceCollection services, IConfiguration configuration, CommerceOptions options) =>
        services.AddOrderDatabase(options).AddBusOutbox<OrderDbContext>(configuration).AddOrderAdmission(configuration);
}
