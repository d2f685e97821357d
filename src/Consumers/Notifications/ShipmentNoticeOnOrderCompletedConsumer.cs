using GlobalCommerce.Contracts.Notifications;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Platform.Persistence;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Notifications;

public sealed class ShipmentNoticeOnOrderCompletedConsumer(NotificationsDbContext db, TimeProvider clock) : IConsumer<OrderCompleted>
{
    public async Task Consume(ConsumeContext<OrderCompleted> context)
    {
        var order = context.Message;
        if (await db.OutboundMessages.AnyAsync(m => m.SubjectId == order.OrderId && m.Kind == NotificationKinds.ShipmentNotice, context.CancellationToken))
            return;

        // OrderCompleted does not name the customer; the confirmation recorded for the same order does. It is
        // published first but may be consumed later, so a missing one means "not yet": throwing lets the retry wait.
        var recipient = await db.OutboundMessages
            .Where(m => m.SubjectId == order.OrderId && m.Kind == NotificationKinds.OrderConfirmation)
            .Select(m => m.Recipient)
            .SingleOrDefaultAsync(context.CancellationToken)
            ?? throw new InvalidOperationException($"No confirmation recorded yet for order {order.OrderId}; cannot address its shipment notice");

        db.OutboundMessages.Add(new OutboundMessage
        {
            Id = TimeOrderedId.New(),
            SubjectId = order.OrderId,
            Kind = NotificationKinds.ShipmentNotice,
            Channel = NotificationKinds.Email,
            Recipient = recipient,
            Subject = $"Your order {order.OrderId:N} is on its way",
            Body = $"Your parcel has been handed to the carrier. Track it with number {order.TrackingNumber}.",
            CreatedAt = clock.GetUtcNow(),
        });
        await db.SaveChangesAsync(context.CancellationToken);
    }
}
