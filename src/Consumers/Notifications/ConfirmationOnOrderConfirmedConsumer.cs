using System.Globalization;
using GlobalCommerce.Contracts.Notifications;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Platform.Persistence;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Notifications;

public sealed class ConfirmationOnOrderConfirmedConsumer(NotificationsDbContext db, TimeProvider clock) : IConsumer<OrderConfirmed>
{
    public async Task Consume(ConsumeContext<OrderConfirmed> context)
    {
        var order = context.Message;
        // A redelivery finds the message already recorded; a concurrent one fails on the unique index and its
        // retry finds it. Either way the customer is notified once.
        if (await db.OutboundMessages.AnyAsync(m => m.SubjectId == order.OrderId && m.Kind == NotificationKinds.OrderConfirmation, context.CancellationToken))
            return;

        db.OutboundMessages.Add(new OutboundMessage
        {
            Id = TimeOrderedId.New(),
            SubjectId = order.OrderId,
            Kind = NotificationKinds.OrderConfirmation,
            Channel = NotificationKinds.Email,
            // Customer ids stand in for addresses until the identity service publishes e-mail addresses.
            Recipient = order.CustomerId.ToString(),
            Subject = $"Your order {order.OrderId:N} is confirmed",
            Body = string.Create(CultureInfo.InvariantCulture,
                $"Thank you for your order. We received your payment of {order.Total:0.00} {order.Currency} " +
                $"(reference {order.PaymentReference}) and are preparing your parcel."),
            CreatedAt = clock.GetUtcNow(),
        });
        await db.SaveChangesAsync(context.CancellationToken);
    }
}
