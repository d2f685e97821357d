using System.Globalization;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Platform.Streams;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Notifications;

// Consumer group "notifications" on inventory-events: the vendor is told once per reorder alert (the event's id is the
// message's subject, so a copy of the event finds the message already recorded).
public sealed class ReorderNoticeOnReorderPointReachedConsumer(NotificationsDbContext db, TimeProvider clock) : IStreamConsumer<ReorderPointReached>
{
    public async Task Consume(StreamContext<ReorderPointReached> context)
    {
        var alert = context.Message;
        if (await db.OutboundMessages.AnyAsync(m => m.SubjectId == context.EventId && m.Kind == NotificationKinds.ReorderAlert, context.CancellationToken))
            return;

        db.OutboundMessages.Add(new OutboundMessage
        {
            Id = NewId.NextGuid(),
            SubjectId = context.EventId,
            Kind = NotificationKinds.ReorderAlert,
            Channel = NotificationKinds.Email,
            // Vendor ids stand in for addresses, as customer ids do, until identity publishes e-mail addresses.
            Recipient = alert.VendorId.ToString(),
            Subject = $"Reorder {alert.Sku} for warehouse {alert.Warehouse}",
            Body = string.Create(CultureInfo.InvariantCulture,
                $"{alert.Sku} is down to {alert.Quantity} units in warehouse {alert.Warehouse}, below your reorder point of {alert.ReorderPoint}."),
            CreatedAt = clock.GetUtcNow(),
        });
        await db.SaveChangesAsync(context.CancellationToken);
    }
}
