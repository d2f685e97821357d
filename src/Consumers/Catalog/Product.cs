namespace GlobalCommerce.Consumers.Catalog;

public class Product
{
    public Guid Id { get; set; }

    public required string Sku { get; set; }

    public required string Name { get; set; }

    public required string Brand { get; set; }

    public required string Category { get; set; }

    public required string Description { get; set; }

    public decimal Price { get; set; }

    public required string Currency { get; set; }

    public Guid VendorId { get; set; }

    // The availability flag shoppers browse by: the vendor reports units in at least one warehouse (ReportedStock, the
    // sum of the product's StockLevels). What can actually be ordered is inventory's to say (stock minus reservations).
    public bool InStock { get; set; }

    public int ReportedStock { get; set; }

    // The newest InventoryUpdated version applied to the product (its price); 0 for a product no vendor has updated.
    public long Version { get; set; }

    // Rises by one with every change of the product, each announced by a ProductChanged of this revision: the search
    // index and the caches keep the highest revision they have seen. The ETag of the product's HTTP representation.
    public long Revision { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

// A warehouse's units of a product as its vendor last reported them, so the catalog can keep ReportedStock in step.
public class ProductStockLevel
{
    public Guid ProductId { get; set; }

    public required string Warehouse { get; set; }

    public int Quantity { get; set; }

    public long Version { get; set; }
}
