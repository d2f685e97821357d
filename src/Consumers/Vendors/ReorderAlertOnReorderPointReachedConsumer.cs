using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Platform.Streams;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Vendors;

// Consumer group "vendor": each reorder crossing becomes an alert the vendor lists (GET /api/vendors/me/reorder-alerts).
public sealed class ReorderAlertOnReorderPointReachedConsumer(VendorDbContext db) : IStreamConsumer<ReorderPointReached>
{
    public async Task Consume(StreamContext<ReorderPointReached> context)
    {
        var reached = context.Message;
        if (await db.ReorderAlerts.AnyAsync(a => a.Id == context.EventId, context.CancellationToken))
            return;

        db.ReorderAlerts.Add(new ReorderAlert
        {
            Id = context.EventId,
            VendorId = reached.VendorId,
            ProductId = reached.ProductId,
            Sku = reached.Sku,
            Warehouse = reached.Warehouse,
            Quantity = reached.Quantity,
            ReorderPoint = reached.ReorderPoint,
            Cause = reached.Cause,
            RaisedAt = reached.OccurredAt,
        });
        await db.SaveChangesAsync(context.CancellationToken);
    }
}
