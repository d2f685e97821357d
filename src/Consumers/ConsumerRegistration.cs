using GlobalCommerce.Consumers.Analytics;
using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Consumers.Fraud;
using GlobalCommerce.Consumers.Inventory;
using GlobalCommerce.Consumers.Notifications;
using GlobalCommerce.Consumers.Payments;
using GlobalCommerce.Consumers.Shipping;
using GlobalCommerce.Consumers.Vendors;
using GlobalCommerce.Platform;
using MassTransit;
using Microsoft.Extensions.Configuration;

namespace GlobalCommerce.Consumers;

// Every domain's consumers and stream consumer groups: the Workers host lists them, and so does the API in the embedded mode. (The identity
// domain's erasure consumer runs with the API, which owns auth_db.)
public static class ConsumerRegistration
{
    public static IBusRegistrationConfigurator AddConsumers(this IBusRegistrationConfigurator bus, IConfiguration configuration, CommerceOptions options)
    {
        bus.AddInventory(configuration, options);
        bus.AddFraud(configuration, options);
        bus.AddPayments(configuration, options);
        bus.AddShipping(configuration, options);
        bus.AddNotifications(configuration, options);
        bus.AddCatalogConsumers(configuration, options);
        bus.AddVendors(configuration, options);
        bus.AddAnalytics(configuration, options);
        return bus;
    }
}
