using GlobalCommerce.Consumers.Inventory;
using GlobalCommerce.Consumers.Tests.Vendors;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Tests.Persistence;

// Ids made one after another, across clock ticks, sort in that order as each database sorts the Guid column EF Core
// maps (SQLite: upper-case text; PostgreSQL: uuid): new rows of a table keyed by them go to the end of its index.
public class TimeOrderedIdTests
{
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Ids_sort_in_the_order_they_were_made(DatabaseProvider provider)
    {
        await using var host = await InventorySyncHost.StartAsync(provider);
        var made = new List<Guid>();
        for (var tick = 0; tick < 5; tick++)
        {
            made.AddRange(Enumerable.Range(0, 40).Select(_ => TimeOrderedId.New()));
            await Task.Delay(3);
        }

        var warehouse = "T-" + Guid.NewGuid().ToString("N")[..8];
        // Saved in shuffled order, so the order read back is the database's, not the insertion's.
        var shuffled = made.OrderBy(_ => Random.Shared.Next()).ToList();
        await host.SaveAsync<InventoryDbContext>([.. shuffled.Select(id => new WarehouseStock
        {
            ProductId = id,
            Warehouse = warehouse,
            VendorId = InventorySyncHost.Vendor,
            Sku = "SKU-ORDER",
            UpdatedAt = DateTimeOffset.UnixEpoch,
        })]);

        var sorted = await host.QueryAsync<InventoryDbContext, List<Guid>>(db =>
            db.WarehouseStocks.AsNoTracking().Where(w => w.Warehouse == warehouse).OrderBy(w => w.ProductId).Select(w => w.ProductId).ToListAsync());
        Assert.Equal(made, sorted);
    }
}
