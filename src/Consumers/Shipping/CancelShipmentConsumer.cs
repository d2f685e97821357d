using GlobalCommerce.Contracts.Shipping;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Shipping;

public sealed class CancelShipmentConsumer(ShippingDbContext db, TimeProvider clock) : IConsumer<CancelShipment>
{
    public async Task Consume(ConsumeContext<CancelShipment> context)
    {
        var command = context.Message;
        var now = clock.GetUtcNow();
        var shipment = await db.Shipments.SingleOrDefaultAsync(s => s.OrderId == command.OrderId, context.CancellationToken);
        if (shipment is null)
        {
            // Cancelled before it was created: the tombstone makes a late CreateShipment create nothing.
            db.Shipments.Add(new Shipment
            {
                OrderId = command.OrderId,
                Status = ShipmentStatus.Cancelled,
                CancellationReason = command.Reason,
                CreatedAt = now,
                UpdatedAt = now,
            });
            await db.SaveChangesAsync(context.CancellationToken);
            return;
        }

        if (shipment.Status == ShipmentStatus.Cancelled)
            return;

        shipment.Status = ShipmentStatus.Cancelled;
        shipment.CancellationReason = command.Reason;
        shipment.UpdatedAt = now;
        await db.SaveChangesAsync(context.CancellationToken);
        await context.Publish(new ShipmentCancelled { OrderId = shipment.OrderId });
    }
}
