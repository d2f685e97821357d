using System.Globalization;

namespace GlobalCommerce.Bench.UploadRun;

// What the consumer groups have applied so far, as a user sees it through the API.
public sealed record FanOutState(
    int Products,
    int StockMatches,
    int PriceMatches,
    string? FirstMismatch,
    int? Alerts,
    int ExpectedAlerts,
    long InventoryUpdated,
    long StockLevelReported,
    long ExpectedEvents)
{
    public bool StockHolds => StockMatches == Products;

    public bool PricesHold => PriceMatches == Products;

    public bool AlertsHold => Alerts == ExpectedAlerts;

    public bool AnalyticsHold => InventoryUpdated == ExpectedEvents && StockLevelReported == ExpectedEvents;

    public bool AllHold => StockHolds && PricesHold && AlertsHold && AnalyticsHold;

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"stock {Mark(StockHolds)} {StockMatches}/{Products}, prices {Mark(PricesHold)} {PriceMatches}/{Products}, "
        + $"reorder alerts {Mark(AlertsHold)} {(Alerts is { } alerts ? alerts.ToString("N0", CultureInfo.InvariantCulture) : "(counted once stock holds)")}/{ExpectedAlerts:N0}, "
        + $"analytics {Mark(AnalyticsHold)} InventoryUpdated {InventoryUpdated:N0}/{ExpectedEvents:N0} StockLevelReported {StockLevelReported:N0}/{ExpectedEvents:N0}");

    // The conditions still false, for a timeout.
    public string Missing()
    {
        var missing = new List<string>();
        if (!StockHolds)
            missing.Add(string.Create(CultureInfo.InvariantCulture, $"inventory group: available stock right for {StockMatches}/{Products} products"));
        if (!PricesHold)
            missing.Add(string.Create(CultureInfo.InvariantCulture, $"catalog group / product cache: price right for {PriceMatches}/{Products} products"));
        if (FirstMismatch is not null)
            missing.Add("first mismatch: " + FirstMismatch);
        if (!AlertsHold)
            missing.Add(Alerts is { } alerts
                ? string.Create(CultureInfo.InvariantCulture, $"vendor group: {alerts:N0} reorder alerts of {ExpectedAlerts:N0}")
                : "vendor group: reorder alerts not counted (stock never held)");
        if (!AnalyticsHold)
            missing.Add(string.Create(CultureInfo.InvariantCulture,
                $"analytics group: InventoryUpdated {InventoryUpdated:N0}, StockLevelReported {StockLevelReported:N0} of {ExpectedEvents:N0}"));
        return string.Join("; ", missing);
    }

    static string Mark(bool holds) => holds ? "ok" : "..";
}

// The fan-out is complete when the inventory and catalog groups (and the product cache's evictions) show in every
// product's available stock and price, the vendor group has listed every reorder alert, and the analytics group has
// counted one InventoryUpdated (inventory-events) and one StockLevelReported (analytics-events) per row. Counts read
// before the upload are the baseline.
public sealed class FanOutCheck(PlatformClient client, ExpectedState expected, int alertsBefore, IReadOnlyList<EventCount> eventsBefore)
{
    public const string InventoryStream = "inventory-events";
    public const string AnalyticsStream = "analytics-events";

    readonly long _inventoryUpdatedBefore = Count(eventsBefore, InventoryStream, "InventoryUpdated");
    readonly long _stockLevelReportedBefore = Count(eventsBefore, AnalyticsStream, "StockLevelReported");

    public async Task<FanOutState> CheckAsync(CancellationToken cancellationToken)
    {
        var products = await client.ProductsAsync(cancellationToken);
        int stock = 0, prices = 0;
        string? mismatch = null;
        foreach (var product in products)
        {
            if (!expected.Products.TryGetValue(product.Id, out var want))
                continue;
            var stockRight = product.Available == want.Available;
            var priceRight = product.Price == want.Price;
            stock += stockRight ? 1 : 0;
            prices += priceRight ? 1 : 0;
            if (mismatch is null && !(stockRight && priceRight))
                mismatch = string.Create(CultureInfo.InvariantCulture,
                    $"{want.Sku} available {product.Available:N0} (expected {want.Available:N0}), price {product.Price:0.00} (expected {want.Price:0.00})");
        }

        // Alerts come from the inventory group's ReorderPointReached events: none can be missing once stock holds, and
        // paging through thousands of them on every poll would load the platform being measured.
        int? alerts = stock == expected.Products.Count ? await client.CountReorderAlertsAsync(cancellationToken) - alertsBefore : null;
        var events = await client.AnalyticsEventsAsync(cancellationToken);
        return new FanOutState(expected.Products.Count, stock, prices, mismatch, alerts, expected.NewAlerts,
            Count(events, InventoryStream, "InventoryUpdated") - _inventoryUpdatedBefore,
            Count(events, AnalyticsStream, "StockLevelReported") - _stockLevelReportedBefore, expected.Rows);
    }

    static long Count(IReadOnlyList<EventCount> events, string stream, string eventType) =>
        events.Where(e => e.Stream == stream && e.EventType == eventType).Sum(e => e.Count);
}
