namespace GlobalCommerce.Platform.Streams;

// The four streams the founding document names (its "Event Hub" topics), and product-events: the catalog's changes, which
// its search and cache flows follow (the document's CQRS read path). Each has Partitions partitions; an event's
// partition follows from its partition key, so every event of one key (an order, a SKU, a user) is read in order.
public static class StreamNames
{
    public const string OrderEvents = "order-events";
    public const string PaymentEvents = "payment-events";
    public const string InventoryEvents = "inventory-events";
    public const string AnalyticsEvents = "analytics-events";
    public const string ProductEvents = "product-events";

    public static readonly IReadOnlyList<string> All = [OrderEvents, PaymentEvents, InventoryEvents, AnalyticsEvents, ProductEvents];
}

public sealed record StreamDefinition(string Name, int Partitions, TimeSpan Retention);
