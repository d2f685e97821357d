using System.Diagnostics;
using System.Globalization;
using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Consumers.Inventory;
using GlobalCommerce.Platform.Persistence;

namespace GlobalCommerce.Api.Catalog;

// dotnet run --project src/Api -- generate-catalog --products 100000 [--seed 42]
// Adds a generated catalog (CatalogGenerator) to product_db and its stock to inventory_db, owned by the demo vendor, in
// batches with progress lines. A bulk load for tests and benchmarks: it writes rows, not events, so run `reindex` after it
// (or start the host on an empty index, which rebuilds itself). Run it with the host stopped.
public static class GenerateCatalogCommand
{
    const int Batch = 2000;

    public static async Task<bool> TryRunAsync(WebApplication app, string[] args)
    {
        if (args.Length == 0 || args[0] != "generate-catalog")
            return false;
        var count = Option(args, "--products", 10_000);
        var seed = Option(args, "--seed", 42);
        if (count is < 1 or > 1_000_000)
        {
            await Console.Error.WriteLineAsync("usage: generate-catalog --products N (1 to 1,000,000) [--seed S]");
            Environment.ExitCode = 2;
            return true;
        }

        var initializer = app.Services.GetServices<IHostedService>().OfType<DatabaseInitializer>().Single();
        await initializer.StartAsync(CancellationToken.None);
        var clock = Stopwatch.StartNew();
        var written = 0;
        foreach (var chunk in new CatalogGenerator(seed).Products(count, DemoCatalog.DemoVendorId, DateTimeOffset.UtcNow.AddDays(-30)).Chunk(Batch))
        {
            await using var scope = app.Services.CreateAsyncScope();
            var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
            var inventory = scope.ServiceProvider.GetRequiredService<InventoryDbContext>();
            catalog.ChangeTracker.AutoDetectChangesEnabled = false;
            inventory.ChangeTracker.AutoDetectChangesEnabled = false;
            catalog.Products.AddRange(chunk);
            catalog.StockLevels.AddRange(chunk.Select(p => new ProductStockLevel { ProductId = p.Id, Warehouse = WarehouseStock.DefaultWarehouse, Quantity = p.ReportedStock }));
            inventory.StockItems.AddRange(chunk.Select(p => new StockItem { ProductId = p.Id, OnHand = p.ReportedStock }));
            inventory.WarehouseStocks.AddRange(chunk.Select(p => new WarehouseStock
            {
                ProductId = p.Id,
                Warehouse = WarehouseStock.DefaultWarehouse,
                Quantity = p.ReportedStock,
                VendorId = p.VendorId,
                Sku = p.Sku,
                UpdatedAt = DateTimeOffset.UtcNow,
            }));
            await catalog.SaveChangesAsync();
            await inventory.SaveChangesAsync();
            written += chunk.Length;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[generate] {written:N0} / {count:N0} products ({100.0 * written / count:F0} %), {written / Math.Max(clock.Elapsed.TotalSeconds, 0.001):N0}/s"));
        }

        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[generate] done: {written:N0} products in {clock.Elapsed.TotalSeconds:F1} s; run `reindex` (host stopped) to make them searchable"));
        return true;
    }

    static int Option(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : fallback;
    }
}
