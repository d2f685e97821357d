using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GlobalCommerce.Api.Tests.Orders;
using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Consumers.Inventory;
using GlobalCommerce.Consumers.Notifications;
using GlobalCommerce.Consumers.Vendors;
using GlobalCommerce.Contracts.Analytics;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Platform.Streams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static GlobalCommerce.Api.Tests.Vendors.VendorApi;

namespace GlobalCommerce.Api.Tests.Vendors;

// Flow 4 end to end on the embedded default, through the real stream engine: upload → vendor_db's stream outbox →
// inventory-events / analytics-events → the inventory, catalog, product-cache, vendor and notifications groups.
public sealed class VendorSyncTests(ITestOutputHelper output) : IDisposable
{
    readonly ApiFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Ten_thousand_rows_update_stock_price_and_availability_evict_the_cache_and_reach_analytics()
    {
        var vendor = await _factory.DemoVendorAsync();
        var products = DemoCatalog.Products;
        // Warm the cache: each product is cached before the upload.
        foreach (var product in products)
            await vendor.ProductAsync(product.Id);
        await vendor.GetFromJsonAsync<JsonElement>("/api/products");
        var store = _factory.Services.GetRequiredService<IProductCacheStore>();
        Assert.All(products, p => Assert.NotNull(store.GetProductAsync(p.Id, CancellationToken.None).Result.Entry));

        // 10,000 rows: every demo SKU in many warehouses; the last warehouse of each SKU gets zero and a new price.
        var rows = new List<(string Sku, string Warehouse, int Quantity, decimal Price)>();
        for (var i = 0; i < 10_000; i++)
        {
            var product = products[i % products.Count];
            var warehouse = $"WH-{i / products.Count:D4}";
            rows.Add((product.Sku, warehouse, i % 5, Math.Round(product.Price + (i / products.Count) / 100m, 2)));
        }

        var csv = new StringBuilder(Header).Append('\n');
        foreach (var (sku, warehouse, quantity, price) in rows)
            csv.Append(FormattableString.Invariant($"{sku},{warehouse},{quantity},{price:0.00},0\n"));

        var clock = Stopwatch.StartNew();
        var id = await UploadIdAsync(await vendor.UploadCsvAsync(csv.ToString()));
        var status = await vendor.WaitForUploadAsync(id, TimeSpan.FromMinutes(3));
        var read = clock.Elapsed;
        Assert.Equal(("completed", 10_000, 10_000, 0), (status.GetProperty("status").GetString(), status.GetProperty("rowsRead").GetInt32(),
            status.GetProperty("accepted").GetInt32(), status.GetProperty("rejected").GetInt32()));

        // Inventory: each product's stock is its default warehouse plus every uploaded warehouse.
        var expected = products.ToDictionary(p => p.Id, p => p.Stock + rows.Where(r => r.Sku == p.Sku).Sum(r => r.Quantity));
        var lastPrice = products.ToDictionary(p => p.Id, p => rows.Last(r => r.Sku == p.Sku).Price);
        await EventuallyAsync(() => vendor.GetFromJsonAsync<JsonElement>("/api/products"),
            list => list.EnumerateArray().All(p => p.GetProperty("available").GetInt32() == expected[p.GetProperty("id").GetGuid()]
                && p.GetProperty("price").GetDecimal() == lastPrice[p.GetProperty("id").GetGuid()]), TimeSpan.FromMinutes(3));
        output.WriteLine($"10,000 rows: read and produced in {read.TotalSeconds:0.0} s, applied by inventory and catalog after {clock.Elapsed.TotalSeconds:0.0} s");

        await using var scope = _factory.Services.CreateAsyncScope();
        var inventory = scope.ServiceProvider.GetRequiredService<InventoryDbContext>();
        Assert.Equal(10_000 + products.Count, await inventory.WarehouseStocks.CountAsync());
        var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        Assert.All(await catalog.Products.AsNoTracking().ToListAsync(), p => Assert.Equal((true, expected[p.Id]), (p.InStock, p.ReportedStock)));

        // The product-cache group evicted every product (fenced at the revision the catalog's last change gave it, announced on
        // product-events), and what a shopper reads now is the new price.
        var revisions = await catalog.Products.AsNoTracking().ToDictionaryAsync(p => p.Id, p => p.Revision);
        await EventuallyAsync(async () => await Task.WhenAll(products.Select(p => store.GetProductAsync(p.Id, CancellationToken.None))),
            entries => entries.Zip(products).All(e => e.First.Fence == revisions[e.Second.Id]));
        foreach (var product in products)
            Assert.Equal(lastPrice[product.Id], (await vendor.ProductAsync(product.Id)).GetProperty("price").GetDecimal());

        // Analytics: one StockLevelReported per accepted row, keyed like the inventory event.
        var reported = (await _factory.StreamEventsAsync<StockLevelReported>(StreamNames.AnalyticsEvents)).Where(e => e.UploadId == id).ToList();
        Assert.Equal(10_000, reported.Count);
        Assert.Equal(rows.Select(r => (r.Sku, r.Warehouse)).Order(), reported.Select(r => (r.Sku, r.Warehouse)).Order());
    }

    [Fact]
    public async Task A_copy_of_an_event_and_a_stale_one_put_on_the_stream_again_change_nothing()
    {
        var vendor = await _factory.DemoVendorAsync();
        var lamp = DemoCatalog.Products.Single(p => p.Sku == "OUT-HLP-005");
        var id = await UploadIdAsync(await vendor.UploadCsvAsync(Csv("OUT-HLP-005,main,100,34.90,150")));
        await vendor.WaitForProductAsync(lamp.Id, p => p.GetProperty("available").GetInt32() == 100);
        await EventuallyAsync(() => vendor.GetFromJsonAsync<JsonElement>("/api/vendors/me/reorder-alerts"), a => a.GetProperty("items").GetArrayLength() == 1);

        // As a relay would after a crash: the same event (same EventId) again, and an older version of the row.
        var original = Assert.Single(await _factory.StreamEnvelopesAsync<InventoryUpdated>(StreamNames.InventoryEvents),
            e => ((InventoryUpdated)StreamSerializer.Deserialize(e.Body, typeof(InventoryUpdated))).UploadId == id);
        var update = (InventoryUpdated)StreamSerializer.Deserialize(original.Body, typeof(InventoryUpdated));
        var stale = update with { Quantity = 7, Price = 1.00m, Version = update.Version - 1 };
        await _factory.Services.GetRequiredService<IStreamBackend>().ProduceAsync(
        [
            new StreamRecord(original.EventId, original.Stream, original.PartitionKey, original.MessageType, original.Body, original.Timestamp, null),
            new StreamRecord(Guid.NewGuid(), original.Stream, original.PartitionKey, original.MessageType, StreamSerializer.SerializeToUtf8(stale),
                DateTimeOffset.UtcNow, null),
        ], CancellationToken.None);

        // A later row of the same SKU (same partition, so read after both) marks the point where they have been handled; it
        // crosses its own reorder point, so its alert comes after any alert a copy would have caused.
        await vendor.UploadAndWaitAsync(Csv("OUT-HLP-005,BER-1,5,35.90,10"));
        var product = await vendor.WaitForProductAsync(lamp.Id, p => p.GetProperty("price").GetDecimal() == 35.90m);
        await vendor.WaitForProductAsync(lamp.Id, p => p.GetProperty("available").GetInt32() != 100);
        Assert.Equal(105, (await vendor.ProductAsync(lamp.Id)).GetProperty("available").GetInt32());
        Assert.True(product.GetProperty("inStock").GetBoolean());
        var alerts = await EventuallyAsync(() => vendor.GetFromJsonAsync<JsonElement>("/api/vendors/me/reorder-alerts"),
            a => a.GetProperty("items").EnumerateArray().Any(i => i.GetProperty("warehouse").GetString() == "BER-1"));
        Assert.Equal(["BER-1", "main"], alerts.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("warehouse").GetString()));
    }

    [Fact]
    public async Task Stock_below_what_orders_in_flight_hold_is_refused_and_the_upload_report_says_why()
    {
        var vendor = await _factory.DemoVendorAsync();
        var shopper = await _factory.CreateShopperClientAsync();
        var bottle = DemoCatalog.Products.Single(p => p.Sku == "OUT-BTL-004");
        // The gateway never answers: the order holds its 20 units while it waits for the payment.
        var order = await shopper.PostAsJsonAsync("/api/orders", OrderRequestsFor.Body(bottle.Id, quantity: 20, paymentToken: "tok_timeout"));
        var orderId = (await order.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();
        await _factory.WaitForOrderStateAsync(shopper, orderId, "AwaitingPayment");

        var id = await UploadIdAsync(await vendor.UploadCsvAsync(Csv("OUT-BTL-004,main,5,24.90,0", "OUT-HLP-005,main,1000,34.90,0")));
        var status = await vendor.WaitForUploadAsync(id, until: s => s.GetProperty("rejected").GetInt32() == 1);

        Assert.Equal((2, 1, 1), (status.GetProperty("rowsRead").GetInt32(), status.GetProperty("accepted").GetInt32(), status.GetProperty("rejected").GetInt32()));
        var rejection = RejectionsByLine(status)[2];
        Assert.Equal(RejectionCodes.BelowReserved, rejection.GetProperty("code").GetString());
        Assert.Contains("20 units reserved for orders in flight", rejection.GetProperty("reason").GetString());
        var kept = await vendor.ProductAsync(bottle.Id);
        Assert.Equal(5000 - 20, kept.GetProperty("available").GetInt32());
        await vendor.WaitForProductAsync(DemoCatalog.ProductId("OUT-HLP-005"), p => p.GetProperty("available").GetInt32() == 1000);
    }

    [Fact]
    public async Task A_reorder_alert_is_listed_once_per_crossing_whether_a_count_or_an_order_crossed()
    {
        var vendor = await _factory.DemoVendorAsync();
        var shopper = await _factory.CreateShopperClientAsync();
        var kettle = DemoCatalog.Products.Single(p => p.Sku == "HOM-KTL-002");
        async Task CountAsync(int quantity)
        {
            await vendor.UploadAndWaitAsync(Csv($"HOM-KTL-002,main,{quantity},59.00,5"));
            await vendor.WaitForProductAsync(kettle.Id, p => p.GetProperty("available").GetInt32() == quantity);
        }

        await CountAsync(10);
        await CountAsync(4);
        await CountAsync(3);
        await CountAsync(8);
        var order = await shopper.PostAsJsonAsync("/api/orders", OrderRequestsFor.Body(kettle.Id, quantity: 4));
        await _factory.WaitForOrderStateAsync(shopper, (await order.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid(), "Completed");

        var alerts = await EventuallyAsync(() => vendor.GetFromJsonAsync<JsonElement>("/api/vendors/me/reorder-alerts"),
            page => page.GetProperty("items").GetArrayLength() >= 2);
        Assert.Equal([("orders", 4), ("vendor-update", 4)], alerts.GetProperty("items").EnumerateArray()
            .Select(a => (a.GetProperty("cause").GetString(), a.GetProperty("quantity").GetInt32())));
        Assert.All(alerts.GetProperty("items").EnumerateArray(), a => Assert.Equal(("HOM-KTL-002", "main", 5),
            (a.GetProperty("sku").GetString(), a.GetProperty("warehouse").GetString(), a.GetProperty("reorderPoint").GetInt32())));
        var firstPage = await vendor.GetFromJsonAsync<JsonElement>("/api/vendors/me/reorder-alerts?limit=1");
        var next = await vendor.GetFromJsonAsync<JsonElement>($"/api/vendors/me/reorder-alerts?limit=1&cursor={firstPage.GetProperty("nextCursor").GetString()}");
        Assert.Equal("vendor-update", Assert.Single(next.GetProperty("items").EnumerateArray()).GetProperty("cause").GetString());

        // The vendor is told of each: one notice per alert.
        await using var scope = _factory.Services.CreateAsyncScope();
        var notices = await EventuallyAsync(() => scope.ServiceProvider.GetRequiredService<NotificationsDbContext>().OutboundMessages.AsNoTracking()
            .Where(m => m.Kind == NotificationKinds.ReorderAlert).ToListAsync(), list => list.Count >= 2);
        Assert.Equal(alerts.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("alertId").GetGuid()).Order(), notices.Select(n => n.SubjectId).Order());
        Assert.All(notices, n => Assert.Equal(DemoCatalog.DemoVendorId.ToString(), n.Recipient));
    }

    [Fact]
    public async Task A_price_change_never_changes_the_price_of_an_order_already_accepted()
    {
        var vendor = await _factory.DemoVendorAsync();
        var shopper = await _factory.CreateShopperClientAsync();
        var pan = DemoCatalog.Products.Single(p => p.Sku == "HOM-PAN-004");
        var before = await shopper.PostAsJsonAsync("/api/orders", OrderRequestsFor.Body(pan.Id, quantity: 2, paymentToken: "tok_timeout"));
        var beforeId = (await before.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();

        await vendor.UploadAndWaitAsync(Csv("HOM-PAN-004,main,1100,59.90,0"));
        await vendor.WaitForProductAsync(pan.Id, p => p.GetProperty("price").GetDecimal() == 59.90m);
        var after = await shopper.PostAsJsonAsync("/api/orders", OrderRequestsFor.Body(pan.Id, quantity: 2, paymentToken: "tok_timeout"));
        var afterId = (await after.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();

        var accepted = await shopper.GetFromJsonAsync<JsonElement>($"/api/orders/{beforeId}");
        Assert.Equal((49.90m, 99.80m), (accepted.GetProperty("lines")[0].GetProperty("unitPrice").GetDecimal(), accepted.GetProperty("total").GetDecimal()));
        var repriced = await shopper.GetFromJsonAsync<JsonElement>($"/api/orders/{afterId}");
        Assert.Equal((59.90m, 119.80m), (repriced.GetProperty("lines")[0].GetProperty("unitPrice").GetDecimal(), repriced.GetProperty("total").GetDecimal()));
    }
}
