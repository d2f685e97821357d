using GlobalCommerce.Contracts.Erasure;
using GlobalCommerce.Contracts.Shipping;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Consumers.Shipping;

// The recipient and street address go; carrier, tracking number, item count, status and country (customs, tax) stay.
public sealed partial class EraseShippingDataConsumer(ShippingDbContext db, TimeProvider clock, ILogger<EraseShippingDataConsumer> logger)
    : IConsumer<EraseShippingData>
{
    public async Task Consume(ConsumeContext<EraseShippingData> context)
    {
        var command = context.Message;
        var now = clock.GetUtcNow();
        // Tombstones (cancelled before a label) never held an address.
        var shipments = await db.Shipments
            .Where(s => command.OrderIds.Contains(s.OrderId) && s.RecipientName != null && s.RecipientName != ErasureDomains.Erased)
            .ToListAsync(context.CancellationToken);
        foreach (var shipment in shipments)
        {
            shipment.RecipientName = ErasureDomains.Erased;
            shipment.Line1 = ErasureDomains.Erased;
            shipment.Line2 = null;
            shipment.City = ErasureDomains.Erased;
            shipment.PostalCode = ErasureDomains.Erased;
            shipment.UpdatedAt = now;
        }

        await db.SaveChangesAsync(context.CancellationToken);
        LogErased(logger, command.ErasureId, shipments.Count);
        await context.Publish(new CustomerDataErased
        {
            ErasureId = command.ErasureId,
            CustomerId = command.CustomerId,
            Domain = ErasureDomains.Shipping,
            ErasedAt = now,
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Erasure {ErasureId}: anonymised {Count} shipments")]
    static partial void LogErased(ILogger logger, Guid erasureId, int count);
}
