using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Platform.Streams;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Vendors;

// Consumer group "vendor": each reorder crossing becomes an alert the vendor lists (GET /api/vendors/me/reorder-alerts).
// The alert's id is the event's, so a copy of the event (in this batch or read again later) finds it recorded. A batch
// is one query and one save: an upload that crosses thousands of reorder points is thousands of alerts.
public sealed class ReorderAlertOnReorderPointReachedConsumer(VendorDbContext db) : IStreamBatchConsumer<ReorderPointReached>
{
    public async Task Consume(StreamBatch<ReorderPointReached> batch)
    {
        var ids = batch.Select(e => e.EventId).Distinct().ToList();
        var recorded = (await db.ReorderAlerts.Where(a => ids.Contains(a.Id)).Select(a => a.Id).ToListAsync(batch.CancellationToken)).ToHashSet();
        foreach (var context in batch)
        {
            if (!recorded.Add(context.EventId))
                continue;
            var reached = context.Message;
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
        }

        await db.SaveChangesAsync(batch.CancellationToken);
    }
}
