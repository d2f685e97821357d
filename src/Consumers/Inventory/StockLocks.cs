using GlobalCommerce.Platform.Persistence;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Inventory;

// Every writer of a product's stock takes its stock_items row first, in product-id order: the reservation, commit and
// release statements do so by updating it; a vendor update, which reads before it writes, locks the rows up front.
static class StockLocks
{
    public static async Task LockAsync(InventoryDbContext db, IReadOnlyList<Guid> productIds, CancellationToken cancellationToken)
    {
        var ids = productIds.Order().ToArray();
        if (db.Database.UsesPostgres())
        {
            await db.Database.ExecuteSqlAsync(
                $"SELECT 1 FROM stock_items WHERE \"ProductId\" = ANY({ids}) ORDER BY \"ProductId\" FOR UPDATE", cancellationToken);
            return;
        }

        // SQLite has one writer per file: writing first takes the lock now, instead of failing later when a transaction
        // that has read tries to write after another one committed.
        await db.StockItems.Where(s => ids.Contains(s.ProductId)).ExecuteUpdateAsync(s => s.SetProperty(x => x.OnHand, x => x.OnHand), cancellationToken);
    }
}
