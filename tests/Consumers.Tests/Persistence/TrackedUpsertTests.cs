using GlobalCommerce.Consumers.Inventory;
using GlobalCommerce.Consumers.Tests.Vendors;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Tests.Persistence;

// The set-based upsert of tracked rows: what it writes reads back through EF exactly as if SaveChanges had written it
// (Guid, text, numbers, bool, DateTimeOffset, on SQLite's conversions and PostgreSQL's types), it inserts and updates in
// one statement, leaves the entities unchanged for SaveChanges, rolls back with its transaction, and refuses to run
// with a column list that is not the model's.
public class TrackedUpsertTests
{
    static TrackedUpsert<WarehouseStock> Rows => WarehouseStock.Rows;

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Inserted_and_updated_rows_read_back_as_EF_wrote_them_and_are_left_unchanged(DatabaseProvider provider)
    {
        await using var host = await InventorySyncHost.StartAsync(provider);
        var productId = Guid.NewGuid();
        var at = new DateTimeOffset(2026, 12, 1, 10, 15, 30, 123, TimeSpan.Zero);
        // One row as SaveChanges writes it, to be updated by the upsert.
        await host.SaveAsync<InventoryDbContext>(Row(productId, "BER", 1, at));

        await host.QueryAsync<InventoryDbContext, bool>(async db =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            var existing = await db.WarehouseStocks.SingleAsync(w => w.ProductId == productId && w.Warehouse == "BER");
            existing.Quantity = 12;
            existing.BelowReorderPoint = true;
            existing.UpdatedAt = at.AddMinutes(1);
            db.WarehouseStocks.Add(Row(productId, "HAM", 7, at.AddSeconds(2)));

            Assert.Equal(2, await Rows.WriteAsync(db, CancellationToken.None));
            Assert.All(db.ChangeTracker.Entries<WarehouseStock>(), e => Assert.Equal(EntityState.Unchanged, e.State));
            Assert.Equal(0, await db.SaveChangesAsync());
            await transaction.CommitAsync();
            return true;
        });

        var rows = await host.WarehousesAsync(productId);
        Assert.Equal(2, rows.Count);
        var berlin = rows.Single(r => r.Warehouse == "BER");
        Assert.Equal((12, 5, 3L, true, InventorySyncHost.Vendor, "SKU-X", at.AddMinutes(1)),
            (berlin.Quantity, berlin.ReorderPoint, berlin.Version, berlin.BelowReorderPoint, berlin.VendorId, berlin.Sku, berlin.UpdatedAt));
        var hamburg = rows.Single(r => r.Warehouse == "HAM");
        Assert.Equal((7, false, at.AddSeconds(2)), (hamburg.Quantity, hamburg.BelowReorderPoint, hamburg.UpdatedAt));
        // EF's own queries find the rows by key and compare their times in SQL.
        Assert.Equal(1, await host.QueryAsync<InventoryDbContext, int>(db =>
            db.WarehouseStocks.CountAsync(w => w.ProductId == productId && w.UpdatedAt > at.AddSeconds(30))));
    }

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Rows_written_in_a_transaction_that_rolls_back_are_not_there(DatabaseProvider provider)
    {
        await using var host = await InventorySyncHost.StartAsync(provider);
        var productId = Guid.NewGuid();
        await host.QueryAsync<InventoryDbContext, bool>(async db =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            db.WarehouseStocks.Add(Row(productId, "BER", 3, DateTimeOffset.UtcNow));
            await Rows.WriteAsync(db, CancellationToken.None);
            await transaction.RollbackAsync();
            return true;
        });

        Assert.Empty(await host.WarehousesAsync(productId));
    }

    [Fact]
    public async Task A_column_list_that_is_not_the_models_is_refused()
    {
        await using var host = await InventorySyncHost.StartAsync(DatabaseProvider.Sqlite);
        var withoutSku = new TrackedUpsert<WarehouseStock>("warehouse_stock", ["ProductId", "Warehouse"],
            new("ProductId", UpsertColumnKind.Guid, w => w.ProductId),
            new("Warehouse", UpsertColumnKind.Text, w => w.Warehouse),
            new("Quantity", UpsertColumnKind.Int, w => w.Quantity));

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => host.QueryAsync<InventoryDbContext, int>(db =>
        {
            db.WarehouseStocks.Add(Row(Guid.NewGuid(), "BER", 3, DateTimeOffset.UtcNow));
            return withoutSku.WriteAsync(db, CancellationToken.None);
        }));
        Assert.Contains("Sku", refused.Message, StringComparison.Ordinal);
    }

    static WarehouseStock Row(Guid productId, string warehouse, int quantity, DateTimeOffset at) => new()
    {
        ProductId = productId,
        Warehouse = warehouse,
        Quantity = quantity,
        ReorderPoint = 5,
        Version = 3,
        VendorId = InventorySyncHost.Vendor,
        Sku = "SKU-X",
        UpdatedAt = at,
    };
}
