using System.Globalization;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Notifications;

// Consumer group "notifications" on inventory-events: the vendor is told once per reorder alert (the event's id is the
// message's subject, so a copy of the event, in this batch or read again later, finds the message already recorded).
// A batch is one query and one save.
public sealed class ReorderNoticeOnReorderPointReachedConsumer(NotificationsDbContext db, TimeProvider clock) : IStreamBatchConsumer<ReorderPointReached>
{
    public async Task Consume(StreamBatch<ReorderPointReached> batch)
    {
        var subjects = batch.Select(e => e.EventId).Distinct().ToList();
        var told = (await db.OutboundMessages
            .Where(m => subjects.Contains(m.SubjectId) && m.Kind == NotificationKinds.ReorderAlert)
            .Select(m => m.SubjectId)
            .ToListAsync(batch.CancellationToken)).ToHashSet();
        var now = clock.GetUtcNow();
        foreach (var context in batch)
        {
            if (!told.Add(context.EventId))
                continue;
            var alert = context.Message;
            db.OutboundMessages.Add(new OutboundMessage
            {
                Id = TimeOrderedId.New(),
                SubjectId = context.EventId,
                Kind = NotificationKinds.ReorderAlert,
                Channel = NotificationKinds.Email,
                // Vendor ids stand in for addresses, as customer ids do, until identity publishes e-mail addresses.
                Recipient = alert.VendorId.ToString(),
                Subject = $"Reorder {alert.Sku} for warehouse {alert.Warehouse}",
                Body = string.Create(CultureInfo.InvariantCulture,
                    $"{alert.Sku} is down to {alert.Quantity} units in warehouse {alert.Warehouse}, below your reorder point of {alert.ReorderPoint}."),
                CreatedAt = now,
            });
        }

        await db.SaveChangesAsync(batch.CancellationToken);
    }
}
