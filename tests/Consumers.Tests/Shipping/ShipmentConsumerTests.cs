using GlobalCommerce.Consumers.Shipping;
using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Contracts.Shipping;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Messaging;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Tests.Shipping;

public class ShipmentConsumerTests
{
    static Task<ConsumerTestHost> StartAsync(DatabaseProvider provider) =>
        ConsumerTestHost.StartAsync(provider, (bus, configuration, options) => bus.AddShipping(configuration, options));

    static CreateShipment Create(Guid orderId, string country = "DE") => new()
    {
        OrderId = orderId,
        ItemCount = 2,
        Address = new ShippingAddress { Name = "Erika Mustermann", Line1 = "Heidestraße 17", City = "Köln", PostalCode = "51147", Country = country },
    };

    static Task<List<Shipment>> ShipmentsAsync(ConsumerTestHost host) =>
        host.QueryAsync<ShippingDbContext, List<Shipment>>(db => db.Shipments.AsNoTracking().ToListAsync());

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Creating_twice_makes_one_shipment_with_the_same_tracking_number(DatabaseProvider provider)
    {
        await using var host = await StartAsync(provider);
        var orderId = Guid.NewGuid();

        await host.SendAsync(QueueNames.CreateShipment, Create(orderId));
        await host.WaitForPublishedAsync<ShipmentCreated>(m => m.OrderId == orderId);
        await host.SendAsync(QueueNames.CreateShipment, Create(orderId));
        var created = await host.WaitForPublishedAsync<ShipmentCreated>(m => m.OrderId == orderId, 2);

        var shipment = Assert.Single(await ShipmentsAsync(host));
        Assert.Matches("^GC[0-9]{12}$", shipment.TrackingNumber);
        Assert.All(created, m => Assert.Equal((shipment.TrackingNumber, "DHL"), (m.TrackingNumber, m.Carrier)));
    }

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Cancel_then_create_creates_nothing(DatabaseProvider provider)
    {
        await using var host = await StartAsync(provider);
        var orderId = Guid.NewGuid();

        await host.SendAsync(QueueNames.CancelShipment, new CancelShipment { OrderId = orderId, Reason = "Order cancelled" });
        await host.WaitForConsumedAsync<CancelShipment>(m => m.OrderId == orderId);
        await host.SendAsync(QueueNames.CreateShipment, Create(orderId));
        await host.WaitForConsumedAsync<CreateShipment>(m => m.OrderId == orderId);

        Assert.Empty(host.Published<ShipmentCreated>());
        var shipment = Assert.Single(await ShipmentsAsync(host));
        Assert.Equal((ShipmentStatus.Cancelled, null), (shipment.Status, shipment.TrackingNumber));
    }

    [Fact]
    public async Task Cancelling_a_created_shipment_cancels_it_once()
    {
        await using var host = await StartAsync(DatabaseProvider.Sqlite);
        var orderId = Guid.NewGuid();
        await host.SendAsync(QueueNames.CreateShipment, Create(orderId, country: "FR"));
        var created = (await host.WaitForPublishedAsync<ShipmentCreated>(m => m.OrderId == orderId))[0];

        await host.SendAsync(QueueNames.CancelShipment, new CancelShipment { OrderId = orderId, Reason = "Payment refunded" });
        await host.WaitForPublishedAsync<ShipmentCancelled>(m => m.OrderId == orderId);
        await host.SendAsync(QueueNames.CancelShipment, new CancelShipment { OrderId = orderId, Reason = "Payment refunded" });
        await host.WaitForConsumedAsync<CancelShipment>(m => m.OrderId == orderId, 2);

        Assert.Equal("UPS", created.Carrier);
        Assert.Single(host.Published<ShipmentCancelled>());
        var shipment = Assert.Single(await ShipmentsAsync(host));
        Assert.Equal((ShipmentStatus.Cancelled, created.TrackingNumber), (shipment.Status, shipment.TrackingNumber));
    }
}
