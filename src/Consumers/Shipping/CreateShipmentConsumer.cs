using System.Security.Cryptography;
using GlobalCommerce.Contracts.Shipping;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Shipping;

public sealed class CreateShipmentConsumer(ShippingDbContext db, TimeProvider clock) : IConsumer<CreateShipment>
{
    static readonly string[] DhlCountries = ["DE", "AT", "CH"];

    public async Task Consume(ConsumeContext<CreateShipment> context)
    {
        var command = context.Message;
        var shipment = await db.Shipments.AsNoTracking().SingleOrDefaultAsync(s => s.OrderId == command.OrderId, context.CancellationToken);
        if (shipment is null)
        {
            var now = clock.GetUtcNow();
            var country = command.Address.Country.ToUpperInvariant();
            shipment = new Shipment
            {
                OrderId = command.OrderId,
                Status = ShipmentStatus.Created,
                Carrier = DhlCountries.Contains(country) ? "DHL" : "UPS",
                // A duplicate (of the order or, very rarely, of the number) fails on a unique key; the retry
                // then finds the shipment or draws a new number.
                TrackingNumber = "GC" + RandomNumberGenerator.GetString("0123456789", 12),
                RecipientName = command.Address.Name,
                Line1 = command.Address.Line1,
                Line2 = command.Address.Line2,
                City = command.Address.City,
                PostalCode = command.Address.PostalCode,
                Country = country,
                ItemCount = command.ItemCount,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.Shipments.Add(shipment);
            await db.SaveChangesAsync(context.CancellationToken);
        }

        // A cancelled shipment (or the tombstone of one cancelled before it existed) is never revived.
        if (shipment.Status == ShipmentStatus.Created)
            await context.Publish(new ShipmentCreated { OrderId = shipment.OrderId, Carrier = shipment.Carrier!, TrackingNumber = shipment.TrackingNumber! });
    }
}
