using GlobalCommerce.Api.Problems;
using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Consumers.Inventory;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Api.Catalog;

public static class ProductEndpoints
{
    public static IEndpointRouteBuilder MapProducts(this IEndpointRouteBuilder app)
    {
        var products = app.MapGroup("/api/products").WithTags("Catalog").AllowAnonymous();
        products.MapGet("/", ListAsync).WithName("ListProducts").WithSummary("The catalog with each product's price and available stock")
            .Produces<IReadOnlyList<ProductResponse>>();
        products.MapGet("/{id:guid}", GetAsync).WithName("GetProduct").WithSummary("One product with its available stock")
            .Produces<ProductResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    static async Task<IResult> ListAsync(CatalogDbContext catalog, InventoryDbContext inventory, string? category, CancellationToken cancellationToken)
    {
        var query = catalog.Products.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(category))
            query = query.Where(product => product.Category == category);
        var list = await query.OrderBy(product => product.Category).ThenBy(product => product.Name).ToListAsync(cancellationToken);
        var stock = await inventory.StockItems.AsNoTracking()
            .ToDictionaryAsync(item => item.ProductId, item => item.OnHand - item.Reserved, cancellationToken);
        return Results.Ok(list.Select(product => ProductResponse.From(product, stock.GetValueOrDefault(product.Id))).ToList());
    }

    static async Task<IResult> GetAsync(Guid id, CatalogDbContext catalog, InventoryDbContext inventory, CancellationToken cancellationToken)
    {
        var product = await catalog.Products.AsNoTracking().SingleOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (product is null)
            return ProblemResults.NotFound("Product", id);
        var available = await inventory.StockItems.AsNoTracking().Where(item => item.ProductId == id)
            .Select(item => item.OnHand - item.Reserved).SingleOrDefaultAsync(cancellationToken);
        return Results.Ok(ProductResponse.From(product, available));
    }
}

public sealed record ProductResponse(Guid Id, string Sku, string Name, string Category, string Description, decimal Price, string Currency, int Available)
{
    public static ProductResponse From(Product product, int available) =>
        new(product.Id, product.Sku, product.Name, product.Category, product.Description, product.Price, product.Currency, Math.Max(0, available));
}
