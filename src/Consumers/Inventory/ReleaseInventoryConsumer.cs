using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using GlobalCommerce.Contracts.Inventory;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;

namespace GlobalCommerce.Consumers.Inventory;

public sealed class ReleaseInventoryConsumer(InventoryDbContext db, TimeProvider clock) : IConsumer<ReleaseInventory>
{
    public async Task Consume(ConsumeContext<ReleaseInventory> context)
    {
        var orderId = context.Message.OrderId;
        var ct = context.CancellationToken;
        var now = clock.GetUtcNow();
        await using var transaction = await DomainTransaction.JoinAsync(db, ct);

        // Conditional status moves decide who gives stock back, so a redelivery or a racing commit cannot double it.
        if (await MoveToReleasedAsync(orderId, AllocationStatus.Reserved, context.Message.Reason, now, ct))
        {
            await AdjustStockAsync(context, restocked: false, (s, q) => s.SetProperty(x => x.Reserved, x => x.Reserved - q), now);
        }
        else if (await MoveToReleasedAsync(orderId, AllocationStatus.Committed, context.Message.Reason, now, ct))
        {
            // Committed units already left OnHand; releasing a paid order puts the goods back on the shelf they came from.
            await AdjustStockAsync(context, restocked: true, (s, q) => s.SetProperty(x => x.OnHand, x => x.OnHand + q), now);
            await WarehousePicks.PutBackAsync(db, orderId, now, ct);
            await db.SaveChangesAsync(ct);
        }
        else if (!await db.Allocations.AnyAsync(a => a.OrderId == orderId, ct))
        {
            // Released before it was ever reserved (e.g. the reservation timed out): the tombstone makes a late
            // ReserveInventory answer "failed" instead of holding stock for a dead order.
            db.Allocations.Add(new Allocation
            {
                OrderId = orderId,
                Status = AllocationStatus.Released,
                Reason = context.Message.Reason,
                CreatedAt = now,
                UpdatedAt = now,
            });
            await db.SaveChangesAsync(ct);
        }

        await transaction.CommitAsync(ct);
        await context.Publish(new InventoryReleased { OrderId = orderId });
    }

    async Task<bool> MoveToReleasedAsync(Guid orderId, AllocationStatus from, string reason, DateTimeOffset now, CancellationToken ct) =>
        await db.Allocations
            .Where(a => a.OrderId == orderId && a.Status == from)
            .ExecuteUpdateAsync(s => s
                .SetProperty(a => a.Status, AllocationStatus.Released)
                .SetProperty(a => a.Reason, reason)
                .SetProperty(a => a.UpdatedAt, now), ct) == 1;

    // Gives each line's units back and produces its fact to inventory-events (keyed by SKU), which the outbox commits
    // with the stock.
    async Task AdjustStockAsync(ConsumeContext<ReleaseInventory> context, bool restocked, Action<UpdateSettersBuilder<StockItem>, int> give,
        DateTimeOffset now)
    {
        var orderId = context.Message.OrderId;
        var ct = context.CancellationToken;
        var lines = await db.AllocationLines.Where(l => l.OrderId == orderId).ToListAsync(ct);
        var skus = await InventoryFacts.SkusAsync(db, lines, ct);
        foreach (var line in lines.OrderBy(l => l.ProductId))
        {
            await db.StockItems.Where(s => s.ProductId == line.ProductId)
                .ExecuteUpdateAsync(s => give(s, line.Quantity), ct);
            await context.Produce(new Contracts.Streams.InventoryReleased
            {
                OrderId = orderId, ProductId = line.ProductId, Sku = skus.GetValueOrDefault(line.ProductId), Quantity = line.Quantity,
                Restocked = restocked, ReleasedAt = now,
            }, InventoryFacts.Key(skus, line.ProductId));
        }
    }
}
