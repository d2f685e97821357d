using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace GlobalCommerce.Consumers.Inventory;

// What shoppers can order now, read live for the products a page shows. Compiled once: the query runs on every search
// and product page, and translating it each time (EF's query cache lookup compares expression trees) cost as much as
// running it. Once per model: EF refuses a compiled query on another model than its first, and a process may hold two
// (the tests run hosts on SQLite and PostgreSQL side by side).
public static class StockLevels
{
    static readonly ConditionalWeakTable<IModel, Func<InventoryDbContext, Guid[], IAsyncEnumerable<StockLevel>>> Compiled = new();

    static Func<InventoryDbContext, Guid[], IAsyncEnumerable<StockLevel>> Compile(IModel model) => EF.CompileAsyncQuery(
        (InventoryDbContext db, Guid[] ids) => db.StockItems.AsNoTracking().Where(item => ids.Contains(item.ProductId))
            .Select(item => new StockLevel(item.ProductId, item.OnHand - item.Reserved)));

    public static async Task<Dictionary<Guid, int>> AvailableAsync(InventoryDbContext db, IReadOnlyCollection<Guid> productIds,
        CancellationToken cancellationToken)
    {
        var available = new Dictionary<Guid, int>(productIds.Count);
        if (productIds.Count == 0)
            return available;
        var query = Compiled.GetValue(db.Model, Compile);
        await foreach (var level in query(db, [.. productIds]).WithCancellation(cancellationToken))
            available[level.ProductId] = level.Available;
        return available;
    }
}

public sealed record StockLevel(Guid ProductId, int Available);
