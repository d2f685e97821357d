using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using GlobalCommerce.Contracts.Inventory;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Consumers.Inventory;

// The order is paid: the reserved units leave the warehouse for good.
public sealed partial class CommitInventoryConsumer(
    InventoryDbContext db,
    IStreamTransaction streams,
    ITopicProducer<ReorderPointReached> reorders,
    TimeProvider clock,
    ILogger<CommitInventoryConsumer> logger) : IConsumer<CommitInventory>
{
    public async Task Consume(ConsumeContext<CommitInventory> context)
    {
        var orderId = context.Message.OrderId;
        var ct = context.CancellationToken;
        var now = clock.GetUtcNow();
        await using var transaction = await DomainTransaction.JoinAsync(db, ct);

        // Only the delivery that moves the status moves the stock; a redelivery changes no row and nothing else.
        var committed = await db.Allocations
            .Where(a => a.OrderId == orderId && a.Status == AllocationStatus.Reserved)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, AllocationStatus.Committed).SetProperty(a => a.UpdatedAt, now), ct);
        if (committed == 1)
        {
            // A reorder the stock taken here calls for is produced with the commit, never without it.
            streams.Enlist(db);
            var lines = (await db.AllocationLines.Where(l => l.OrderId == orderId).ToListAsync(ct)).OrderBy(l => l.ProductId).ToList();
            // Every line's stock row first, in product order (StockLocks): the warehouse rows are read only under those
            // locks, so a vendor update (which takes them first too) cannot change them between the read and the picks.
            foreach (var line in lines)
            {
                await db.StockItems
                    .Where(s => s.ProductId == line.ProductId)
                    .ExecuteUpdateAsync(s => s
                        .SetProperty(x => x.OnHand, x => x.OnHand - line.Quantity)
                        .SetProperty(x => x.Reserved, x => x.Reserved - line.Quantity), ct);
            }

            // One read of the products' warehouse rows gives both the facts' SKUs and the rows the picks take from.
            var warehouses = await WarehousePicks.RowsAsync(db, lines, ct);
            var skus = InventoryFacts.Skus(warehouses);
            foreach (var line in lines)
            {
                await context.Produce(new Contracts.Streams.InventoryCommitted
                {
                    OrderId = orderId, ProductId = line.ProductId, Sku = skus.GetValueOrDefault(line.ProductId), Quantity = line.Quantity, CommittedAt = now,
                }, InventoryFacts.Key(skus, line.ProductId));
                foreach (var row in WarehousePicks.Take(db, line, warehouses, now))
                    await reorders.Produce(Reorder.Of(row, ReorderPointReached.CauseOrders, now), row.Sku, ct);
            }

            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return;
        }

        // Nobody waits for a commit (the saga has moved on): no event, one message fewer per order. Only a delivery that
        // moved nothing asks why, for the log (a redelivery finds it committed already).
        var status = await db.Allocations.Where(a => a.OrderId == orderId).Select(a => (AllocationStatus?)a.Status).SingleOrDefaultAsync(ct);
        await transaction.CommitAsync(ct);
        if (status != AllocationStatus.Committed)
            LogNotCommitted(logger, orderId, status?.ToString() ?? "missing");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot commit the stock of order {OrderId}: its allocation is {Status}")]
    static partial void LogNotCommitted(ILogger logger, Guid orderId, string status);
}
