using GlobalCommerce.Contracts.Erasure;
using GlobalCommerce.Contracts.Payments;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Consumers.Payments;

// A payment row names no customer and holds no token; amount, currency, status and the gateway reference are
// accounting records and stay. What a decline said about the customer's card or funds is erased.
public sealed partial class ErasePaymentDataConsumer(PaymentsDbContext db, TimeProvider clock, ILogger<ErasePaymentDataConsumer> logger)
    : IConsumer<ErasePaymentData>
{
    public async Task Consume(ConsumeContext<ErasePaymentData> context)
    {
        var command = context.Message;
        var now = clock.GetUtcNow();
        var payments = await db.Payments
            .Where(p => command.OrderIds.Contains(p.OrderId) && p.DeclineReason != null && p.DeclineReason != ErasureDomains.Erased)
            .ToListAsync(context.CancellationToken);
        foreach (var payment in payments)
        {
            payment.DeclineReason = ErasureDomains.Erased;
            payment.Touch(now);
        }

        await db.SaveChangesAsync(context.CancellationToken);
        LogErased(logger, command.ErasureId, payments.Count);
        await context.Publish(new CustomerDataErased
        {
            ErasureId = command.ErasureId,
            CustomerId = command.CustomerId,
            Domain = ErasureDomains.Payments,
            ErasedAt = now,
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Erasure {ErasureId}: anonymised {Count} payments")]
    static partial void LogErased(ILogger logger, Guid erasureId, int count);
}
