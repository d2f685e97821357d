using GlobalCommerce.Consumers.Catalog;

namespace GlobalCommerce.Api.Tests.Orders;

public static class OrderRequestsFor
{
    public static DemoProduct Plentiful => DemoCatalog.Products.First(p => p.Stock >= 1000);

    public static DemoProduct Scarce => DemoCatalog.Products.First(p => p.Stock <= 50);

    // The customer comes from the caller's token; the body names none.
    public static object Body(Guid productId, int quantity = 1, string paymentToken = "tok_visa") => new
    {
        items = new[] { new { productId, quantity } },
        shippingAddress = new { name = "Ada Lovelace", line1 = "1 Main St", city = "Berlin", postalCode = "10115", country = "DE" },
        paymentToken,
    };
}
