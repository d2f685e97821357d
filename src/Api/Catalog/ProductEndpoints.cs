using System.Buffers.Text;
using System.Globalization;
using System.Text;
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
            .WithDescription($"A page of the catalog (or of one category) by category, name and SKU: limit products (1 to {MaxLimit}, default "
                + $"{DefaultLimit}). When there may be more, a Link header (rel=\"next\") names the next page; pass its after= unchanged. "
                + "GET /api/search browses with filters, facets and sorts.")
            .Produces<IReadOnlyList<ProductResponse>>()
            .ProducesValidationProblem()
            .WithCatalogRead();
        products.MapGet("/{id:guid}", GetAsync).WithName("GetProduct").WithSummary("One product with its available stock")
            .Produces<ProductResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithCatalogRead();
        return app;
    }

    const int DefaultLimit = 100;
    const int MaxLimit = 500;

    static async Task<IResult> ListAsync(HttpContext http, CatalogDbContext catalog, InventoryDbContext inventory, ProductCache cache,
        string? category, string? limit, string? after, CancellationToken cancellationToken)
    {
        category = string.IsNullOrWhiteSpace(category) ? null : category;
        var errors = new Dictionary<string, string[]>();
        var size = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > MaxLimit))
            errors["limit"] = [$"1 to {MaxLimit}."];
        var position = after is null ? null : CatalogPosition.Parse(after);
        if (after is not null && position is null)
            errors["after"] = ["The after= of the Link header of an earlier page."];
        if (category is { Length: > 100 })
            errors["category"] = ["At most 100 characters."];
        if (errors.Count > 0)
            return ProblemResults.Validation(errors);

        // Cached per page: the category, where the page starts and its size (every eviction retires them all).
        var key = string.Join('\u001f', category ?? "", after ?? "", size.ToString(CultureInfo.InvariantCulture));
        var page = await cache.ListAsync(key, async ct =>
        {
            var query = catalog.Products.AsNoTracking();
            if (category is not null)
                query = query.Where(product => product.Category == category);
            if (position is { } from)
            {
                query = query.Where(product => product.Category.CompareTo(from.Category) > 0
                    || (product.Category == from.Category && (product.Name.CompareTo(from.Name) > 0
                        || (product.Name == from.Name && product.Sku.CompareTo(from.Sku) > 0))));
            }

            var rows = await query.OrderBy(product => product.Category).ThenBy(product => product.Name).ThenBy(product => product.Sku)
                .Take(size).ToListAsync(ct);
            return rows.Select(CachedProduct.From).ToList();
        }, cancellationToken);
        var stock = await StockLevels.AvailableAsync(inventory, [.. page.Select(product => product.Id)], cancellationToken);
        if (page.Count == size)
        {
            var last = page[^1];
            var next = QueryString.Create([
                .. category is null ? [] : new[] { KeyValuePair.Create("category", (string?)category) },
                KeyValuePair.Create("limit", (string?)size.ToString(CultureInfo.InvariantCulture)),
                KeyValuePair.Create("after", (string?)new CatalogPosition(last.Category, last.Name, last.Sku).ToString()),
            ]);
            http.Response.Headers.Link = $"</api/products{next}>; rel=\"next\"";
        }

        return Results.Ok(page.Select(product => ProductResponse.From(product, stock.GetValueOrDefault(product.Id))).ToList());
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

// Where a page of the catalog ends: the last product's category, name and SKU (the list's order; the SKU is unique), as
// an opaque after= value.
sealed record CatalogPosition(string Category, string Name, string Sku)
{
    const char Separator = '\u001f';

    public override string ToString() => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Join(Separator, Category, Name, Sku)));

    public static CatalogPosition? Parse(string value)
    {
        if (value.Length is 0 or > 1024)
            return null;
        try
        {
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(value)).Split(Separator);
            return parts.Length == 3 ? new CatalogPosition(parts[0], parts[1], parts[2]) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
