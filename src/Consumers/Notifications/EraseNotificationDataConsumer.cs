using GlobalCommerce.Contracts.Erasure;
using GlobalCommerce.Contracts.Notifications;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Consumers.Notifications;

// The record that a message of a kind was sent for an order stays (it keeps the customer from being notified
// twice); whom it went to and what it said do not.
public sealed partial class EraseNotificationDataConsumer(NotificationsDbContext db, ILogger<EraseNotificationDataConsumer> logger, TimeProvider clock)
    : IConsumer<EraseNotificationData>
{
    public async Task Consume(ConsumeContext<EraseNotificationData> context)
    {
        var command = context.Message;
        var recipient = command.CustomerId.ToString();
        var messages = await db.OutboundMessages
            .Where(m => (command.OrderIds.Contains(m.SubjectId) || m.Recipient == recipient) && m.Recipient != ErasureDomains.Erased)
            .ToListAsync(context.CancellationToken);
        foreach (var message in messages)
        {
            message.Recipient = ErasureDomains.Erased;
            message.Body = ErasureDomains.Erased;
        }

        await db.SaveChangesAsync(context.CancellationToken);
        LogErased(logger, command.ErasureId, messages.Count);
        await context.Publish(new CustomerDataErased
        {
            ErasureId = command.ErasureId,
            CustomerId = command.CustomerId,
            Domain = ErasureDomains.Notifications,
            ErasedAt = clock.GetUtcNow(),
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Erasure {ErasureId}: anonymised {Count} notifications")]
    static partial void LogErased(ILogger logger, Guid erasureId, int count);
}
