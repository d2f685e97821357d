using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Inventory;

// What shoppers can order now, read live for the products a page shows. Compiled once: the query runs on every search
// and product page, and translating it each time (EF's query cache lookup compares expression trees) cost as much as
// running it.
public static class StockLevels
{
    static readonly Func<InventoryDbContext, Guid[], IAsyncEnumerable<StockLevel>> ForProducts = EF.CompileAsyncQuery(
        (InventoryDbContext db, Guid[] ids) => db.StockItems.AsNoTracking().Where(item => ids.Contains(item.ProductId))
            .Select(item => new StockLevel(item.ProductId, item.OnHand - item.Reserved)));

    public static async Task<Dictionary<Guid, int>> AvailableAsync(InventoryDbContext db, IReadOnlyCollection<Guid> productIds,
        CancellationToken cancellationToken)
    {
        var available = new Dictionary<Guid, int>(productIds.Count);
        if (productIds.Count == 0)
            return available;
        await foreach (var level in ForProducts(db, [.. productIds]).WithCancellation(cancellationToken))
            available[level.ProductId] = level.Available;
        return available;
    }
}

public sealed record StockLevel(Guid ProductId, int Available);
