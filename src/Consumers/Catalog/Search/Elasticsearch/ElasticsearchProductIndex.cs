using Elastic.Clients.Elasticsearch;
using Elastic.Clients.Elasticsearch.Aggregations;
using Elastic.Clients.Elasticsearch.Core.Bulk;
using Elastic.Clients.Elasticsearch.Core.Search;
using Elastic.Clients.Elasticsearch.QueryDsl;
using Elastic.Transport;
using Elastic.Transport.Products.Elasticsearch;
using Microsoft.Extensions.Logging;
using EsSearchRequest = Elastic.Clients.Elasticsearch.SearchRequest;
using IndexExistsRequest = Elastic.Clients.Elasticsearch.IndexManagement.ExistsRequest;

namespace GlobalCommerce.Consumers.Catalog.Search.Elasticsearch;

// The product search index on an operator's Elasticsearch cluster (8.x or 9.x), behind the same seam as the Lucene.Net
// backend. Writes carry the product's revision as an external version, so the cluster itself refuses a replayed or late
// write; pages are read from a point in time with search_after, never from/size.
public sealed class ElasticsearchProductIndex : IProductSearchIndex
{
    public const int MaxPageSize = 100;
    public const string PitKeepAlive = "5m";
    private const int FacetSize = 50;

    private static readonly (string Facet, string Field)[] Facets =
    [
        (SearchFacets.Category, "category"),
        (SearchFacets.Brand, "brand"),
        (SearchFacets.InStock, "inStock"),
    ];

    private readonly ElasticsearchClient _client;
    private readonly string _indexName;
    private readonly TimeSpan _requestTimeout;
    private readonly ILogger<ElasticsearchProductIndex> _logger;
    private readonly SemaphoreSlim _indexGate = new(1, 1);
    private volatile bool _indexReady;

    public ElasticsearchProductIndex(ElasticsearchSearchOptions options, ILogger<ElasticsearchProductIndex> logger)
    {
        options.Validate();
        var settings = new ElasticsearchClientSettings(new SingleNodePool(options.Url!))
            .RequestTimeout(options.RequestTimeout);
        if (!string.IsNullOrEmpty(options.ApiKey))
            settings = settings.Authentication(new ApiKey(options.ApiKey));
        _client = new ElasticsearchClient(settings);
        _indexName = options.IndexName;
        _requestTimeout = options.RequestTimeout;
        _logger = logger;
    }

    public async Task IndexAsync(IReadOnlyList<ProductSearchDocument> products, CancellationToken cancellationToken)
    {
        if (products.Count == 0)
            return;
        await EnsureIndexAsync(cancellationToken);
        var request = new BulkRequest(_indexName) { Operations = [] };
        foreach (var product in products)
            request.Operations.Add(new BulkIndexOperation<ElasticsearchProductSource>(ElasticsearchProductSource.From(product))
            {
                Id = product.Id.ToString(),
                Version = product.Revision,
                VersionType = VersionType.External,
            });
        await BulkAsync(request, "indexing products", cancellationToken);
    }

    public async Task DeleteAsync(IReadOnlyDictionary<Guid, long> products, CancellationToken cancellationToken)
    {
        if (products.Count == 0)
            return;
        await EnsureIndexAsync(cancellationToken);
        var request = new BulkRequest(_indexName) { Operations = [] };
        // external_gte: a product is usually deleted at the revision it was last indexed at, and a plain external delete
        // of an equal version is a conflict. The tombstone keeps revision R, so a replayed index at R or below is refused.
        foreach (var (id, revision) in products)
            request.Operations.Add(new BulkDeleteOperation(id.ToString()) { Version = revision, VersionType = VersionType.ExternalGte });
        await BulkAsync(request, "deleting products", cancellationToken);
    }

    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        await EnsureIndexAsync(cancellationToken);
        var response = await CallAsync("counting products", ct => _client.CountAsync(new CountRequest(_indexName), ct), cancellationToken);
        return Succeeded(response, "counting products").Count;
    }

    public async Task<SearchResults> SearchAsync(SearchRequest request, CancellationToken cancellationToken)
    {
        var size = Math.Clamp(request.Size, 1, MaxPageSize);
        var sort = SortFor(request.Sort);
        var fingerprint = SearchRequestKeys.Fingerprint(request);
        var cursor = request.Cursor is null ? null : ElasticsearchSearchCursor.Decode(request.Cursor, fingerprint, sort.Count);

        await EnsureIndexAsync(cancellationToken);
        var pitId = cursor is null ? await OpenPointInTimeAsync(cancellationToken) : cursor.PitId;
        SearchResponse<ElasticsearchProductSource> response;
        string? readPit;
        try
        {
            (response, readPit) = await SearchPageAsync(request, size, sort, cursor?.SearchAfter, pitId, cancellationToken);
        }
        catch (Exception) when (cursor is null && pitId is not null)
        {
            // No cursor will ever name the point in time this search opened.
            await ClosePointInTimeAsync(pitId);
            throw;
        }

        var hits = response.Hits.Take(size).ToList();
        var hasMore = response.Hits.Count > size;
        // Elasticsearch may hand back a new id for the same point in time; the newest one is the one to keep using.
        var nextPit = readPit is null ? null : response.PitId ?? readPit;
        string? nextCursor = null;
        if (hasMore)
            nextCursor = new ElasticsearchSearchCursor(nextPit, [.. hits[^1].Sort ?? []], fingerprint).Encode();
        else if (nextPit is not null)
            await ClosePointInTimeAsync(nextPit);

        return new SearchResults(
            response.Total,
            [.. hits.Where(hit => hit.Source is not null).Select(hit => new SearchHit(hit.Source!.ToDocument(), hit.Score is { } score ? (float)score : null))],
            ReadFacets(response.Aggregations),
            nextCursor);
    }

    private async Task<(SearchResponse<ElasticsearchProductSource> Response, string? PitId)> SearchPageAsync(
        SearchRequest request, int size, List<SortOptions> sort, IReadOnlyList<FieldValue>? searchAfter, string? pitId, CancellationToken cancellationToken)
    {
        if (pitId is not null)
        {
            var withPit = BuildSearch(request, size, sort, searchAfter, pitId);
            var response = await CallAsync("searching products", ct => _client.SearchAsync<ElasticsearchProductSource>(withPit, ct), cancellationToken);
            if (!IsMissingSearchContext(response))
                return (Succeeded(response, "searching products"), pitId);
            // The point in time expired (keep_alive passed between two pages) or its node restarted. The page goes on
            // as a plain search_after on the live index: the id tie-breaker keeps the order total, so no product is
            // shown twice, though one changed since the first page may move past the cursor or show up late.
            _logger.LogInformation("Search point in time expired; page continues on the live index {Index}", _indexName);
        }

        var plain = BuildSearch(request, size, sort, searchAfter, pitId: null);
        var live = await CallAsync("searching products", ct => _client.SearchAsync<ElasticsearchProductSource>(plain, ct), cancellationToken);
        return (Succeeded(live, "searching products"), null);
    }

    private EsSearchRequest BuildSearch(SearchRequest request, int size, List<SortOptions> sort, IReadOnlyList<FieldValue>? searchAfter, string? pitId)
    {
        var filters = FiltersOf(request);
        // A search on a point in time names no index: the point in time already fixes it.
        var search = new EsSearchRequest
        {
            Query = TextQuery(request.Text),
            PostFilter = filters.Count == 0 ? null : (Query)new BoolQuery { Filter = [.. filters.Select(f => f.Query)] },
            Aggregations = Facets.ToDictionary(
                facet => facet.Facet,
                facet => new Aggregation
                {
                    Filter = FacetFilter(filters, facet.Facet),
                    Aggregations = new Dictionary<string, Aggregation>
                    {
                        [facet.Facet] = new TermsAggregation { Field = facet.Field, Size = FacetSize },
                    },
                }),
            Sort = sort,
            Size = size + 1,
            TrackTotalHits = true,
        };
        if (searchAfter is not null)
            search.SearchAfter = [.. searchAfter];
        if (pitId is null)
            search.Indices = _indexName;
        else
            search.Pit = new PointInTimeReference(pitId) { KeepAlive = PitKeepAlive };
        return search;
    }

    // Every word must match (operator and), either exactly across the fields together (cross_fields: "acme kettle" finds
    // the Acme brand's kettle) or with typos inside one field (AUTO: one edit up to five letters, two above). The exact
    // clause is boosted so a correctly typed word outranks its near neighbours.
    private static Query TextQuery(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return new MatchAllQuery();
        string[] fields = ["name^3", "brand.text^2", "category.text^1.5", "sku^2", "description"];
        return new BoolQuery
        {
            Should =
            [
                new MultiMatchQuery(text.Trim()) { Fields = fields, Type = TextQueryType.CrossFields, Operator = Operator.And, Boost = 2 },
                new MultiMatchQuery(text.Trim()) { Fields = fields, Type = TextQueryType.BestFields, Operator = Operator.And, Fuzziness = "AUTO" },
            ],
            MinimumShouldMatch = 1,
        };
    }

    private static List<(string Facet, Query Query)> FiltersOf(SearchRequest request)
    {
        var filters = new List<(string, Query)>();
        if (request.Categories.Count > 0)
            filters.Add((SearchFacets.Category, new TermsQuery { Field = "category", Terms = new TermsQueryField([.. request.Categories.Select(FieldValue.String)]) }));
        if (request.Brands.Count > 0)
            filters.Add((SearchFacets.Brand, new TermsQuery { Field = "brand", Terms = new TermsQueryField([.. request.Brands.Select(FieldValue.String)]) }));
        if (request.MinPrice is not null || request.MaxPrice is not null)
            filters.Add(("price", new NumberRangeQuery("price") { Gte = (double?)request.MinPrice, Lte = (double?)request.MaxPrice }));
        if (request.InStock is { } inStock)
            filters.Add((SearchFacets.InStock, new TermQuery("inStock", inStock)));
        return filters;
    }

    // A facet counts what every other filter lets through, so the shopper sees what choosing another value would give.
    private static Query FacetFilter(List<(string Facet, Query Query)> filters, string facet)
    {
        var others = filters.Where(f => f.Facet != facet).Select(f => f.Query).ToList();
        return others.Count == 0 ? new MatchAllQuery() : new BoolQuery { Filter = others };
    }

    // The product id ends every sort, so equal prices or scores still have one order and search_after never skips or
    // repeats a product.
    private static List<SortOptions> SortFor(SearchSort sort)
    {
        var id = new FieldSort("id") { Order = SortOrder.Asc };
        SortOptions first = sort switch
        {
            SearchSort.PriceAscending => new FieldSort("price") { Order = SortOrder.Asc },
            SearchSort.PriceDescending => new FieldSort("price") { Order = SortOrder.Desc },
            SearchSort.Newest => new FieldSort("createdAt") { Order = SortOrder.Desc },
            SearchSort.Name => new FieldSort("name.raw") { Order = SortOrder.Asc },
            _ => new SortOptions { Score = new ScoreSort { Order = SortOrder.Desc } },
        };
        return [first, id];
    }

    private static Dictionary<string, IReadOnlyList<FacetValue>> ReadFacets(AggregateDictionary? aggregations)
    {
        var facets = new Dictionary<string, IReadOnlyList<FacetValue>>();
        foreach (var (facet, _) in Facets)
        {
            IAggregate? terms = null;
            if (aggregations?.TryGetAggregate(facet, out FilterAggregate? filtered) == true)
                filtered?.Aggregations?.TryGetAggregate(facet, out terms);
            facets[facet] = terms switch
            {
                StringTermsAggregate strings => [.. strings.Buckets.Select(b => new FacetValue(b.Key.ToString(), b.DocCount))],
                // A boolean field's buckets come back as longs (1/0) with the word in key_as_string.
                LongTermsAggregate longs => [.. longs.Buckets.Select(b => new FacetValue(b.KeyAsString ?? (b.Key != 0 ? "true" : "false"), b.DocCount))],
                _ => [],
            };
        }

        return facets;
    }

    private async Task<string> OpenPointInTimeAsync(CancellationToken cancellationToken)
    {
        var response = await CallAsync(
            "opening a point in time",
            ct => _client.OpenPointInTimeAsync(new OpenPointInTimeRequest(_indexName) { KeepAlive = PitKeepAlive }, ct),
            cancellationToken);
        return Succeeded(response, "opening a point in time").Id;
    }

    // An open point in time holds segments the cluster would otherwise merge away, so the last page gives it back. Failing
    // to is harmless (it expires with its keep-alive) and never fails the search.
    private async Task ClosePointInTimeAsync(string pitId)
    {
        try
        {
            var response = await _client.ClosePointInTimeAsync(new ClosePointInTimeRequest { Id = pitId }, CancellationToken.None);
            if (!response.IsValidResponse)
                _logger.LogDebug("Closing a search point in time answered {Status}", response.ApiCallDetails?.HttpStatusCode);
        }
        catch (TransportException e)
        {
            _logger.LogDebug("Closing a search point in time failed: {Reason}", e.GetBaseException().GetType().Name);
        }
    }

    private async Task BulkAsync(BulkRequest request, string operation, CancellationToken cancellationToken)
    {
        var response = await CallAsync(operation, ct => _client.BulkAsync(request, ct), cancellationToken);
        // The typed response counts item errors as an invalid response; here only the HTTP exchange decides that, and the
        // items are read one by one.
        if (response.ApiCallDetails?.HasSuccessfulStatusCode != true || response.Items is null)
            throw Failure(response, operation);

        var refused = new List<string>();
        var stale = 0;
        foreach (var item in response.Items)
        {
            if (item.Status is >= 200 and < 300)
                continue;
            if (item.Status == 409)
            {
                stale++;
                continue;
            }

            if (item.Status == 404 && item.Operation == "delete")
                continue;
            refused.Add($"{item.Id}: {item.Error?.Type ?? item.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)}: {item.Error?.Reason}");
        }

        if (stale > 0)
            _logger.LogDebug("{Count} products in {Index} already had a newer revision; left as they were", stale, _indexName);
        if (refused.Count > 0)
        {
            _logger.LogWarning("Elasticsearch refused {Count} of {Total} products in {Index}: {Reasons}", refused.Count, response.Items.Count, _indexName, refused);
            throw new SearchUnavailableException(
                $"Elasticsearch refused {refused.Count} of {response.Items.Count} products ({operation}): {string.Join("; ", refused.Take(5))}");
        }
    }

    private async Task EnsureIndexAsync(CancellationToken cancellationToken)
    {
        if (_indexReady)
            return;
        await _indexGate.WaitAsync(cancellationToken);
        try
        {
            if (_indexReady)
                return;
            var exists = await CallAsync(
                "checking the index", ct => _client.Indices.ExistsAsync(new IndexExistsRequest(_indexName), ct), cancellationToken);
            if (exists.ApiCallDetails?.HttpStatusCode == 404)
                await CreateIndexAsync(cancellationToken);
            else if (!exists.Exists)
                throw Failure(exists, "checking the index");
            _indexReady = true;
        }
        finally
        {
            _indexGate.Release();
        }
    }

    private async Task CreateIndexAsync(CancellationToken cancellationToken)
    {
        var response = await CallAsync(
            "creating the index", ct => _client.Indices.CreateAsync(ElasticsearchProductMapping.CreateIndex(_indexName), ct), cancellationToken);
        if (response.IsValidResponse)
        {
            _logger.LogInformation("Created Elasticsearch index {Index}", _indexName);
            return;
        }

        // Another host created it between our check and our create: the index is there, which is all we wanted.
        if (response.ApiCallDetails?.HttpStatusCode == 400 && response.ElasticsearchServerError?.Error?.Type == "resource_already_exists_exception")
            return;
        throw Failure(response, "creating the index");
    }

    private static bool IsMissingSearchContext(ElasticsearchResponse response) =>
        response.ApiCallDetails?.HttpStatusCode == 404
        && response.ElasticsearchServerError?.Error is { } error
        && (error.Type == "search_context_missing_exception"
            || error.RootCause?.Any(cause => cause.Type == "search_context_missing_exception") == true);

    private T Succeeded<T>(T response, string operation)
        where T : ElasticsearchResponse =>
        response.IsValidResponse ? response : throw Failure(response, operation);

    // Transport failures and timeouts (no status), 5xx and refusals (a status, with Elasticsearch's reason when it gave
    // one) all become one exception. Its message is built here from parts that cannot hold the API key: the operation,
    // the status, Elasticsearch's error type and reason, the failure's kind.
    private SearchUnavailableException Failure(ElasticsearchResponse response, string operation)
    {
        var details = response.ApiCallDetails;
        var status = details?.HttpStatusCode;
        var error = response.ElasticsearchServerError?.Error;
        // Someone deleted the index under us: the next call checks again and recreates it.
        if (error?.Type == "index_not_found_exception")
            _indexReady = false;
        string message;
        if (status is null)
            message = $"Elasticsearch could not be reached for {operation}: {Describe(details?.OriginalException)}";
        else if (error is not null)
            message = $"Elasticsearch refused {operation} (HTTP {status}): {Reason(error)}";
        else
            message = $"Elasticsearch answered {operation} with HTTP {status}.";
        _logger.LogWarning("Elasticsearch {Operation} on {Index} failed with {Status}: {Reason}", operation, _indexName, status, message);
        return new SearchUnavailableException(message, status);
    }

    // The top-level error of a search is often only "all shards failed"; the root cause says why.
    private static string Reason(Error error)
    {
        var reason = $"{error.Type}: {error.Reason}";
        var root = error.RootCause?.FirstOrDefault();
        return root is null || (root.Type == error.Type && root.Reason == error.Reason) ? reason : $"{reason} ({root.Type}: {root.Reason})";
    }

    private async Task<T> CallAsync<T>(string operation, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            var response = await call(cancellationToken);
            // The transport reports a cancelled request as a failed response; the caller asked for a cancellation.
            cancellationToken.ThrowIfCancellationRequested();
            return response;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is TransportException or HttpRequestException or OperationCanceledException or TimeoutException)
        {
            var message = $"Elasticsearch could not be reached for {operation}: {Describe(e)}";
            _logger.LogWarning("Elasticsearch {Operation} on {Index} failed: {Reason}", operation, _indexName, message);
            throw new SearchUnavailableException(message);
        }
    }

    private string Describe(Exception? exception)
    {
        // The caller's own cancellation was rethrown before this, so a cancellation in the chain is the request timeout.
        for (var cause = exception; cause is not null; cause = cause.InnerException)
        {
            if (cause is OperationCanceledException or TimeoutException)
                return $"no answer within {_requestTimeout.TotalSeconds:0.###} s";
            if (cause is HttpRequestException http)
                return $"{http.HttpRequestError} ({http.StatusCode?.ToString() ?? "no status"})";
        }

        return exception?.GetBaseException().GetType().Name ?? "no answer";
    }
}
