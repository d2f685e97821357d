using System.Globalization;
using System.Text;

namespace GlobalCommerce.Bench.UploadRun;

public sealed record CatalogProduct(Guid Id, string Sku, decimal Price, int Available, bool InStock);

// What every consumer group must have made of the upload. Alerts and event counts are what the upload adds to the
// counts read before it.
public sealed record ExpectedState(IReadOnlyDictionary<Guid, ExpectedProduct> Products, int NewAlerts, int Rows);

public sealed record ExpectedProduct(string Sku, int Available, decimal Price);

// The upload file, written row by row to disk (never whole in memory), and the end state it must lead to.
public static class InventoryFile
{
    public const string Header = "sku,warehouse,quantity,price,reorder_point";

    // Every AlertEvery-th warehouse gets this reorder point; its rows with fewer units cross it.
    const int AlertEvery = 10;
    const int AlertReorderPoint = 5;

    // Row i: product i mod N, warehouse WH-{i / N}, so every (SKU, warehouse) is new and none repeats within the file.
    // warehousePrefix: the warm-up upload names other warehouses than the measured one (WU-…), and raises no alerts.
    public static async Task<ExpectedState> WriteAsync(string path, int rows, IReadOnlyList<CatalogProduct> catalog, CancellationToken cancellationToken,
        string warehousePrefix = "WH", bool alertRows = true)
    {
        if (catalog.Count == 0)
            throw new BenchFailure("the catalog is empty: nothing to upload stock for");
        var n = catalog.Count;
        var sums = new long[n];
        var lastPrice = catalog.Select(p => p.Price).ToArray();
        var alerts = 0;

        await using (var file = new StreamWriter(path, append: false, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" })
        {
            await file.WriteLineAsync(Header);
            var line = new StringBuilder(96);
            for (var i = 0; i < rows; i++)
            {
                var p = i % n;
                var w = i / n;
                var quantity = i % 7;
                var price = Math.Round(catalog[p].Price + w / 100m, 2);
                var reorderPoint = alertRows && w % AlertEvery == 0 ? AlertReorderPoint : 0;
                line.Clear();
                line.Append(CultureInfo.InvariantCulture, $"{catalog[p].Sku},{warehousePrefix}-{w:D5},{quantity},{price:0.00},{reorderPoint}");
                await file.WriteLineAsync(line, cancellationToken);

                sums[p] += quantity;
                lastPrice[p] = price;
                // StockOnInventoryUpdatedConsumer: a warehouse row new to inventory starts not below its point, so the
                // first count under the point is a crossing (WarehouseStock.CrossedReorderPoint); a point of 0 never is.
                if (quantity < reorderPoint)
                    alerts++;
            }
        }

        // available = OnHand - Reserved. Every demo product's stock already sits in warehouse "main" (and the warm-up's
        // WU-… warehouses), which the upload never names, so OnHand becomes the old stock plus the sum of the new
        // warehouses; nothing is reserved (no orders).
        var products = new Dictionary<Guid, ExpectedProduct>(n);
        for (var p = 0; p < n; p++)
            products[catalog[p].Id] = new ExpectedProduct(catalog[p].Sku, checked((int)(catalog[p].Available + sums[p])), lastPrice[p]);
        return new ExpectedState(products, alerts, rows);
    }
}
