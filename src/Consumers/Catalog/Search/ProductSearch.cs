using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace GlobalCommerce.Consumers.Catalog.Search;

// What the search index holds of a product: the fields shoppers search, filter, facet and sort by, and what a result
// shows. Revision is product_db's per-product change counter: an index keeps the highest revision it has seen, so a
// replayed or late event never takes a product back.
public sealed record ProductSearchDocument(
    Guid Id,
    string Sku,
    string Name,
    string Brand,
    string Category,
    string Description,
    decimal Price,
    string Currency,
    bool InStock,
    IReadOnlyList<Guid> ImageIds,
    DateTimeOffset CreatedAt,
    long Revision);

public enum SearchSort
{
    Relevance,
    PriceAscending,
    PriceDescending,
    Newest,
    Name,
}

// Text is what the shopper typed (null or blank: every product, filtered). Filters combine with AND; several values of
// one facet (two brands) with OR. Cursor is the NextCursor of the previous page of the same request, or null.
public sealed record SearchRequest
{
    public string? Text { get; init; }

    public IReadOnlyList<string> Categories { get; init; } = [];

    public IReadOnlyList<string> Brands { get; init; } = [];

    public decimal? MinPrice { get; init; }

    public decimal? MaxPrice { get; init; }

    public bool? InStock { get; init; }

    public SearchSort Sort { get; init; } = SearchSort.Relevance;

    public int Size { get; init; } = 20;

    public string? Cursor { get; init; }
}

public static class SearchRequestKeys
{
    // Words, filters and sort: what a cursor must be sent with again (the page size may change between pages).
    public static string Fingerprint(SearchRequest request) => Hash(string.Join('\u001f',
        request.Text?.Trim() ?? "",
        string.Join('\u001e', request.Categories.Order(StringComparer.Ordinal)),
        string.Join('\u001e', request.Brands.Order(StringComparer.Ordinal)),
        request.MinPrice?.ToString(CultureInfo.InvariantCulture) ?? "",
        request.MaxPrice?.ToString(CultureInfo.InvariantCulture) ?? "",
        request.InStock?.ToString() ?? "",
        request.Sort.ToString()));

    // The whole request, the words without case (the analyzer lowercases them): a results cache's key.
    public static string CacheKey(SearchRequest request) => Hash(string.Join('\u001f',
        Fingerprint(request with { Text = request.Text?.Trim().ToLowerInvariant() }),
        request.Size.ToString(CultureInfo.InvariantCulture),
        request.Cursor ?? ""));

    static string Hash(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)), 0, 12);
}

public sealed record SearchHit(ProductSearchDocument Product, float? Score);

public sealed record FacetValue(string Value, long Count);

// Facets by name ("category", "brand", "inStock"): each counts the products matching the text and every filter except
// its own, so that choosing one brand still shows how many products the other brands have (multi-select facets).
public sealed record SearchResults(
    long Total,
    IReadOnlyList<SearchHit> Hits,
    IReadOnlyDictionary<string, IReadOnlyList<FacetValue>> Facets,
    string? NextCursor);

public static class SearchFacets
{
    public const string Category = "category";
    public const string Brand = "brand";
    public const string InStock = "inStock";
}

// A cursor the index cannot read (tampered with, from another backend, or too old to resume).
public sealed class InvalidSearchCursorException(string message) : Exception(message);

// The search backends behind one seam (Lucene.Net on each search host, or an Elasticsearch cluster), chosen by
// configuration. Writes are idempotent: indexing a document whose revision the index already has (or a newer one) changes
// nothing.
public interface IProductSearchIndex
{
    Task<SearchResults> SearchAsync(SearchRequest request, CancellationToken cancellationToken);

    Task IndexAsync(IReadOnlyList<ProductSearchDocument> products, CancellationToken cancellationToken);

    // Removes products (taken out of the catalog at the given revision).
    Task DeleteAsync(IReadOnlyDictionary<Guid, long> products, CancellationToken cancellationToken);

    Task<long> CountAsync(CancellationToken cancellationToken);
}
