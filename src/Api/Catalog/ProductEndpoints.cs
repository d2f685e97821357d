using GlobalCommerce.Api.Http;
using GlobalCommerce.Api.Problems;
using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Consumers.Inventory;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Api.Catalog;

// The catalog's fields come through the product cache (evicted by the "product-cache" group when vendors change them);
// stock is read live from inventory, which every order changes.
public static class ProductEndpoints
{
    public static IEndpointRouteBuilder MapProducts(this IEndpointRouteBuilder app)
    {
        var products = app.MapGroup("/api/products").WithTags("Catalog").AllowAnonymous();
        products.MapGet("/", ListAsync).WithName("ListProducts").WithSummary("The catalog with each product's price and available stock")
            .Produces<IReadOnlyList<ProductResponse>>()
            .WithCatalogRead();
        products.MapGet("/{id:guid}", GetAsync).WithName("GetProduct").WithSummary("One product with its available stock")
            .Produces<ProductResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithCatalogRead();
        return app;
    }

    static async Task<IResult> ListAsync(CatalogDbContext catalog, InventoryDbContext inventory, ProductCache cache, string? category,
        CancellationToken cancellationToken)
    {
        category = string.IsNullOrWhiteSpace(category) ? null : category;
        var list = await cache.ListAsync(category, async ct =>
        {
            var query = catalog.Products.AsNoTracking();
            if (category is not null)
                query = query.Where(product => product.Category == category);
            var rows = await query.OrderBy(product => product.Category).ThenBy(product => product.Name).ToListAsync(ct);
            return rows.Select(CachedProduct.From).ToList();
        }, cancellationToken);
        var stock = await inventory.StockItems.AsNoTracking()
            .ToDictionaryAsync(item => item.ProductId, item => item.OnHand - item.Reserved, cancellationToken);
        return Results.Ok(list.Select(product => ProductResponse.From(product, stock.GetValueOrDefault(product.Id))).ToList());
    }

    static async Task<IResult> GetAsync(Guid id, CatalogDbContext catalog, InventoryDbContext inventory, ProductCache cache, CancellationToken cancellationToken)
    {
        var product = await cache.GetAsync(id, async ct =>
            await catalog.Products.AsNoTracking().Where(p => p.Id == id).Select(p => CachedProduct.From(p)).SingleOrDefaultAsync(ct), cancellationToken);
        if (product is null)
            return ProblemResults.NotFound("Product", id);
        var available = (await StockLevels.AvailableAsync(inventory, [id], cancellationToken)).GetValueOrDefault(id);
        return Results.Ok(ProductResponse.From(product, available));
    }
}

// inStock: the vendor reports units in some warehouse; available: what can be ordered now (stock minus reservations).
public sealed record ProductResponse(Guid Id, string Sku, string Name, string Brand, string Category, string Description, decimal Price, string Currency,
    bool InStock, int Available, long Revision)
{
    public static ProductResponse From(CachedProduct product, int available) =>
        new(product.Id, product.Sku, product.Name, product.Brand, product.Category, product.Description, product.Price, product.Currency,
            product.InStock, Math.Max(0, available), product.Revision);
}
