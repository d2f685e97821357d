using System.Diagnostics;
using System.Globalization;
using System.Security.Claims;
using GlobalCommerce.Api.Http;
using GlobalCommerce.Api.Problems;
using GlobalCommerce.Consumers.Catalog.Search;
using GlobalCommerce.Consumers.Inventory;
using GlobalCommerce.Contracts.Streams;
using GlobalCommerce.Platform.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Api.Catalog;

// Flow 2's read path: the search host's index (fed by product-events) through its results cache; availability is read
// live from inventory for the page shown; a search event goes to analytics-events.
public static class SearchEndpoints
{
    public const int MaxQueryLength = 1000;
    const int MaxFilterValues = 20;

    static readonly Dictionary<string, SearchSort> Sorts = new(StringComparer.OrdinalIgnoreCase)
    {
        ["relevance"] = SearchSort.Relevance,
        ["price_asc"] = SearchSort.PriceAscending,
        ["price_desc"] = SearchSort.PriceDescending,
        ["newest"] = SearchSort.Newest,
        ["name"] = SearchSort.Name,
    };

    public static IEndpointRouteBuilder MapSearch(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/search", SearchAsync).WithTags("Catalog").AllowAnonymous().WithName("SearchProducts")
            .WithSummary("Search the catalog: ranked, typo-tolerant, filtered, with facets and a cursor")
            .WithDescription($"q: the words (at most {MaxQueryLength} characters; blank lists every product). Each word may be misspelt by "
                + "one letter (3 to 5 letters) or two (longer). category and brand may repeat (any of them); minPrice, maxPrice, inStock "
                + "narrow further. Facets count each value as if its own filter were not set. sort: relevance (default), price_asc, "
                + "price_desc, newest, name. size 1 to 100 (default 20). Pass nextCursor as cursor, with the same words, filters and "
                + "sort, for the next page: pages come from the index as it was at the first page, so products added meanwhile never "
                + "shift them (for 5 minutes; later pages then continue on the current index). available is the stock that can be "
                + "ordered now.")
            .Produces<SearchResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithCatalogRead(itemsProperty: "items");
        app.MapGet("/api/categories", CategoriesAsync).WithTags("Catalog").AllowAnonymous().WithName("ListCategories")
            .WithSummary("The catalog's categories with their product counts, most products first")
            .WithDescription("From the search index, through its results cache (dropped whenever the index takes a change). Pass a "
                + "category to GET /api/search?category= to browse it.")
            .Produces<IReadOnlyList<FacetCount>>()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithCatalogRead();
        return app;
    }

    static async Task<IResult> CategoriesAsync(IProductSearchIndex index, SearchResultCache cache, CancellationToken cancellationToken)
    {
        var everything = new SearchRequest { Size = 1 };
        try
        {
            var results = await cache.GetOrSearchAsync(everything, ct => index.SearchAsync(everything, ct), cancellationToken);
            return Results.Ok(results.Facets.GetValueOrDefault(SearchFacets.Category, []).Select(v => new FacetCount(v.Value, v.Count)).ToList());
        }
        catch (SearchUnavailableException)
        {
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, type: ProblemTypes.SearchUnavailable,
                title: "Search is unavailable", detail: "The search backend did not answer; try again shortly.");
        }
    }

    static async Task<IResult> SearchAsync(HttpContext http, ClaimsPrincipal caller, IProductSearchIndex index, SearchResultCache cache,
        InventoryDbContext inventory, SearchEventSink events, ISearchPersonalizer personalizer, TimeProvider clock,
        [FromQuery] string? q, [FromQuery] string[]? category, [FromQuery] string[]? brand, [FromQuery] string? minPrice,
        [FromQuery] string? maxPrice, [FromQuery] string? inStock, [FromQuery] string? sort, [FromQuery] string? size,
        [FromQuery] string? cursor, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var errors = new Dictionary<string, string[]>();
        if (q is { Length: > MaxQueryLength })
            errors["q"] = [$"At most {MaxQueryLength} characters."];
        var categories = Values(category, "category", errors);
        var brands = Values(brand, "brand", errors);
        var min = Price(minPrice, "minPrice", errors);
        var max = Price(maxPrice, "maxPrice", errors);
        if (min is not null && max is not null && min > max)
            errors["maxPrice"] = ["At least minPrice."];
        bool? stock = null;
        if (inStock is not null)
        {
            if (bool.TryParse(inStock, out var parsed))
                stock = parsed;
            else
                errors["inStock"] = ["true or false."];
        }

        var order = SearchSort.Relevance;
        if (sort is not null && !Sorts.TryGetValue(sort, out order))
            errors["sort"] = [$"One of {string.Join(", ", Sorts.Keys)}."];
        var pageSize = 20;
        if (size is not null && (!int.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > 100))
            errors["size"] = ["1 to 100."];
        if (cursor is { Length: 0 or > 2048 })
            errors["cursor"] = ["The nextCursor of an earlier page."];
        if (errors.Count > 0)
            return ProblemResults.Validation(errors);

        var request = new SearchRequest
        {
            Text = string.IsNullOrWhiteSpace(q) ? null : q,
            Categories = categories,
            Brands = brands,
            MinPrice = min,
            MaxPrice = max,
            InStock = stock,
            Sort = order,
            Size = pageSize,
            Cursor = cursor,
        };

        SearchResults results;
        var hitsBefore = cache.Hits;
        try
        {
            results = await cache.GetOrSearchAsync(request, ct => index.SearchAsync(request, ct), cancellationToken);
        }
        catch (InvalidSearchCursorException exception)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, type: ProblemTypes.InvalidCursor, title: "The cursor cannot be used",
                detail: exception.Message);
        }
        catch (SearchUnavailableException)
        {
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, type: ProblemTypes.SearchUnavailable,
                title: "Search is unavailable", detail: "The search backend did not answer; try again shortly.");
        }

        var userId = Guid.TryParse(caller.FindFirst("sub")?.Value, out var id) ? id : (Guid?)null;
        var hits = userId is { } user && order == SearchSort.Relevance ? personalizer.Reorder(user, results.Hits) : results.Hits;
        var ids = hits.Select(h => h.Product.Id).ToList();
        var available = await StockLevels.AvailableAsync(inventory, ids, cancellationToken);

        var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        events.Add(new SearchPerformed
        {
            SearchId = TimeOrderedId.New(),
            UserId = userId,
            Query = request.Text is { Length: > 200 } words ? words[..200] : request.Text ?? "",
            Categories = categories,
            Brands = brands,
            Sort = order.ToString(),
            ResultCount = results.Total,
            FirstPage = cursor is null,
            Cached = cache.Hits > hitsBefore,
            LatencyMs = latency,
            At = clock.GetUtcNow(),
        });
        return Results.Ok(new SearchResponse(
            results.Total,
            [.. hits.Select(hit => SearchItem.From(hit, available.GetValueOrDefault(hit.Product.Id)))],
            results.Facets.ToDictionary(f => f.Key, f => (IReadOnlyList<FacetCount>)[.. f.Value.Select(v => new FacetCount(v.Value, v.Count))]),
            results.NextCursor));
    }

    static List<string> Values(string[]? values, string name, Dictionary<string, string[]> errors)
    {
        var list = (values ?? []).Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v.Trim()).Distinct(StringComparer.Ordinal).ToList();
        if (list.Count > MaxFilterValues || list.Any(v => v.Length > 100))
            errors[name] = [$"At most {MaxFilterValues} values of at most 100 characters."];
        return list;
    }

    static decimal? Price(string? text, string name, Dictionary<string, string[]> errors)
    {
        if (text is null)
            return null;
        if (decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var price) && price <= 1_000_000m)
            return price;
        errors[name] = ["A price from 0 to 1,000,000 (a dot for decimals)."];
        return null;
    }
}

// Orders a signed-in shopper's relevance results; the recommendations work fills it. The default keeps the index's order.
public interface ISearchPersonalizer
{
    IReadOnlyList<SearchHit> Reorder(Guid userId, IReadOnlyList<SearchHit> hits);
}

public sealed class IndexOrder : ISearchPersonalizer
{
    public IReadOnlyList<SearchHit> Reorder(Guid userId, IReadOnlyList<SearchHit> hits) => hits;
}

public sealed record SearchResponse(long Total, IReadOnlyList<SearchItem> Items, IReadOnlyDictionary<string, IReadOnlyList<FacetCount>> Facets,
    string? NextCursor);

public sealed record FacetCount(string Value, long Count);

// A result: the product as the index holds it (price, availability flag), the units available now and its image URLs.
public sealed record SearchItem(Guid Id, string Sku, string Name, string Brand, string Category, string Description, decimal Price, string Currency,
    bool InStock, int Available, IReadOnlyList<string> Images, float? Score)
{
    public static SearchItem From(SearchHit hit, int available)
    {
        var p = hit.Product;
        return new SearchItem(p.Id, p.Sku, p.Name, p.Brand, p.Category, p.Description, p.Price, p.Currency, p.InStock, Math.Max(0, available),
            [.. p.ImageIds.Select(image => $"/api/products/{p.Id}/images/{image}")], hit.Score);
    }
}
