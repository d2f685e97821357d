using System.Globalization;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using Microsoft.EntityFrameworkCore;
using Facts = GlobalCommerce.Contracts.Streams;

namespace GlobalCommerce.Consumers.Notifications;

// Consumer group "notifications" on order-events: the customer hears once that the order is confirmed and once that it
// shipped, however often a fact is delivered (the order id and the kind are the message's unique subject, so a copy of a
// fact, in this batch or read again later, finds the message already recorded). A batch is one query and one save,
// inside the group's shared transaction. An order's facts share a key, so its confirmation is always handled before its
// shipment notice.
public sealed class CustomerNoticesOnOrderEventsConsumer(NotificationsDbContext db, TimeProvider clock) :
    IStreamBatchConsumer<Facts.OrderConfirmed>, IStreamBatchConsumer<Facts.OrderCompleted>
{
    public Task Consume(StreamBatch<Facts.OrderConfirmed> batch) =>
        RecordOnceAsync(batch, NotificationKinds.OrderConfirmation, e => e.OrderId, e => e.CustomerId, e => (
            $"Your order {e.OrderId:N} is confirmed",
            string.Create(CultureInfo.InvariantCulture,
                $"Thank you for your order. We received your payment of {e.Total:0.00} {e.Currency} and are preparing your parcel.")));

    public Task Consume(StreamBatch<Facts.OrderCompleted> batch) =>
        RecordOnceAsync(batch, NotificationKinds.ShipmentNotice, e => e.OrderId, e => e.CustomerId, e => (
            $"Your order {e.OrderId:N} is on its way",
            $"Your parcel has been handed to the carrier. Track it with number {e.TrackingNumber}."));

    async Task RecordOnceAsync<T>(StreamBatch<T> batch, string kind, Func<T, Guid> order, Func<T, Guid?> customer, Func<T, (string Subject, string Body)> text)
        where T : class
    {
        var ct = batch.CancellationToken;
        var orders = batch.Select(e => order(e.Message)).Distinct().ToList();
        var told = (await db.OutboundMessages.Where(m => orders.Contains(m.SubjectId) && m.Kind == kind).Select(m => m.SubjectId).ToListAsync(ct))
            .ToHashSet();
        // A fact written before it named the customer: the confirmation recorded for the same order does.
        var unnamed = batch.Where(e => customer(e.Message) is null).Select(e => order(e.Message)).Distinct().ToList();
        var recipients = unnamed.Count == 0
            ? []
            : await db.OutboundMessages.Where(m => unnamed.Contains(m.SubjectId) && m.Kind == NotificationKinds.OrderConfirmation)
                .ToDictionaryAsync(m => m.SubjectId, m => m.Recipient, ct);
        var now = clock.GetUtcNow();
        foreach (var context in batch)
        {
            var fact = context.Message;
            var subject = order(fact);
            // Customer ids stand in for addresses until the identity service publishes e-mail addresses.
            var recipient = customer(fact)?.ToString() ?? recipients.GetValueOrDefault(subject);
            if (recipient is null || !told.Add(subject))
                continue;
            var (title, body) = text(fact);
            db.OutboundMessages.Add(new OutboundMessage
            {
                Id = TimeOrderedId.New(),
                SubjectId = subject,
                Kind = kind,
                Channel = NotificationKinds.Email,
                Recipient = recipient,
                Subject = title,
                Body = body,
                CreatedAt = now,
            });
        }

        await db.SaveChangesAsync(ct);
    }
}
