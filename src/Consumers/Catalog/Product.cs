namespace GlobalCommerce.Consumers.Catalog;

public class Product
{
    public Guid Id { get; set; }

    public required string Sku { get; set; }

    public required string Name { get; set; }

    public required string Category { get; set; }

    public required string Description { get; set; }

    public decimal Price { get; set; }

    public required string Currency { get; set; }

    public Guid VendorId { get; set; }
}
