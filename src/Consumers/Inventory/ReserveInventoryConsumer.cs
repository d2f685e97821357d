using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using GlobalCommerce.Contracts.Inventory;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Inventory;

public sealed class ReserveInventoryConsumer(InventoryDbContext db, TimeProvider clock) : IConsumer<ReserveInventory>
{
    public async Task Consume(ConsumeContext<ReserveInventory> context)
    {
        var orderId = context.Message.OrderId;
        var ct = context.CancellationToken;
        // The message's own transaction: a partial reservation is undone below by hand, so no savepoint is needed.
        await using var transaction = await DomainTransaction.JoinAsync(db, ct);

        // A redelivery gets the first answer again. A concurrent duplicate that passes this check still cannot
        // reserve twice: its allocation insert hits the primary key, the attempt rolls back and its retry lands here.
        var existing = await db.Allocations.AsNoTracking().SingleOrDefaultAsync(a => a.OrderId == orderId, ct);
        if (existing is not null)
        {
            await Answer(context, existing);
            return;
        }

        // Whole milliseconds survive every provider's storage, so a redelivery reports exactly the first ReservedAt.
        var now = clock.GetUtcNow();
        now = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMillisecond));
        var invalid = context.Message.Lines.Where(l => l.Quantity <= 0).Select(l => l.ProductId).Distinct().ToList();
        if (context.Message.Lines.Count == 0 || invalid.Count > 0)
        {
            await RejectAsync(context, transaction, "Every order line needs a positive quantity", invalid, now);
            return;
        }

        // One ordering for every transaction, so two orders touching the same products cannot deadlock.
        var lines = context.Message.Lines
            .GroupBy(l => l.ProductId)
            .Select(g => new AllocationLine { OrderId = orderId, ProductId = g.Key, Quantity = g.Sum(l => l.Quantity) })
            .OrderBy(l => l.ProductId)
            .ToList();

        var unavailable = new List<Guid>();
        var reservedLines = new List<AllocationLine>();
        foreach (var line in lines)
        {
            var quantity = line.Quantity;
            // Check and reserve in one statement: the row lock makes concurrent orders queue, never oversell.
            var reserved = await db.StockItems
                .Where(s => s.ProductId == line.ProductId && s.OnHand - s.Reserved >= quantity)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Reserved, x => x.Reserved + quantity), ct);
            if (reserved == 0)
                unavailable.Add(line.ProductId);
            else
                reservedLines.Add(line);
        }

        if (unavailable.Count > 0)
        {
            // The lines that were reserved give their units back, in this same transaction (their rows stay locked).
            foreach (var line in reservedLines)
            {
                var quantity = line.Quantity;
                await db.StockItems.Where(s => s.ProductId == line.ProductId)
                    .ExecuteUpdateAsync(s => s.SetProperty(x => x.Reserved, x => x.Reserved - quantity), ct);
            }

            await RejectAsync(context, transaction, "Not enough stock", unavailable, now);
            return;
        }

        db.Allocations.Add(new Allocation { OrderId = orderId, Status = AllocationStatus.Reserved, CreatedAt = now, UpdatedAt = now, Lines = lines });
        // One fact per line on inventory-events (keyed by SKU), saved with the allocation.
        var skus = await InventoryFacts.SkusAsync(db, lines, ct);
        foreach (var line in lines)
        {
            await context.Produce(new Contracts.Streams.InventoryReserved
            {
                OrderId = orderId, ProductId = line.ProductId, Sku = skus.GetValueOrDefault(line.ProductId), Quantity = line.Quantity, ReservedAt = now,
            }, InventoryFacts.Key(skus, line.ProductId));
        }

        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        await context.Publish(new InventoryReserved { OrderId = orderId, ReservedAt = now });
    }

    // The rejection is recorded (nothing of the order is reserved by then), so a redelivery is refused the same way even
    // if stock came back since.
    async Task RejectAsync(ConsumeContext<ReserveInventory> context, DomainTransaction transaction,
        string reason, List<Guid> unavailable, DateTimeOffset now)
    {
        var rejected = new Allocation
        {
            OrderId = context.Message.OrderId,
            Status = AllocationStatus.Rejected,
            Reason = reason,
            UnavailableProductIds = unavailable,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Allocations.Add(rejected);
        await db.SaveChangesAsync(context.CancellationToken);
        await transaction.CommitAsync(context.CancellationToken);
        await Answer(context, rejected);
    }

    static Task Answer(ConsumeContext<ReserveInventory> context, Allocation allocation) => allocation.Status switch
    {
        AllocationStatus.Reserved or AllocationStatus.Committed =>
            context.Publish(new InventoryReserved { OrderId = allocation.OrderId, ReservedAt = allocation.CreatedAt }),
        AllocationStatus.Rejected => context.Publish(new InventoryReservationFailed
        {
            OrderId = allocation.OrderId,
            Reason = allocation.Reason ?? "Not enough stock",
            UnavailableProductIds = allocation.UnavailableProductIds,
        }),
        _ => context.Publish(new InventoryReservationFailed
        {
            OrderId = allocation.OrderId,
            Reason = $"The order's stock was already released ({allocation.Reason})",
            UnavailableProductIds = [],
        }),
    };
}
