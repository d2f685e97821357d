using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GlobalCommerce.Consumers.Catalog.Search;
using GlobalCommerce.Consumers.Catalog.Search.Elasticsearch;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace GlobalCommerce.Consumers.Tests.Catalog.Search;

// No Elasticsearch server can run here, so these tests hold the adapter to the cluster's HTTP contract: WireMock.Net on
// loopback answers as Elasticsearch 9 does (bodies, status codes, typed_keys aggregation names, the product header), and
// each test reads back the requests the real client sent and asserts on their JSON.
public class ElasticsearchContractTests
{
    [Fact]
    public async Task First_use_creates_the_index_with_its_mapping_once()
    {
        using var cluster = new FakeElasticsearch();
        cluster.On("HEAD", "/products", 404, "");
        cluster.On("PUT", "/products", 200, """{"acknowledged":true,"shards_acknowledged":true,"index":"products"}""");
        cluster.OnBulk(BulkResponse(("index", 201, null)));
        var index = cluster.Index();

        await index.IndexAsync([Kettle()], CancellationToken.None);
        await index.IndexAsync([Kettle()], CancellationToken.None);

        Assert.Single(cluster.Requests("HEAD", "/products"));
        var create = Assert.Single(cluster.Requests("PUT", "/products"));
        Assert.Equal(2, cluster.Requests("POST", "/products/_bulk").Count);
        var body = Json(create);
        var mappings = body.GetProperty("mappings");
        Assert.Equal("strict", mappings.GetProperty("dynamic").GetString());
        var properties = mappings.GetProperty("properties");
        Assert.Equal("text", Type(properties, "name"));
        Assert.Equal("keyword", properties.GetProperty("name").GetProperty("fields").GetProperty("raw").GetProperty("type").GetString());
        foreach (var keyword in new[] { "brand", "category" })
        {
            Assert.Equal("keyword", Type(properties, keyword));
            Assert.Equal("text", properties.GetProperty(keyword).GetProperty("fields").GetProperty("text").GetProperty("type").GetString());
        }

        Assert.Equal("text", Type(properties, "description"));
        Assert.Equal("scaled_float", Type(properties, "price"));
        Assert.Equal(100, properties.GetProperty("price").GetProperty("scaling_factor").GetDouble());
        Assert.Equal("boolean", Type(properties, "inStock"));
        Assert.Equal("date", Type(properties, "createdAt"));
        Assert.Equal("long", Type(properties, "revision"));
        foreach (var keyword in new[] { "id", "sku", "currency", "imageIds" })
            Assert.Equal("keyword", Type(properties, keyword));
        var analyzer = properties.GetProperty("name").GetProperty("analyzer").GetString()!;
        Assert.True(body.GetProperty("settings").GetProperty("analysis").GetProperty("analyzer").TryGetProperty(analyzer, out _));
    }

    [Fact]
    public async Task An_index_another_host_created_first_is_used_as_it_is()
    {
        using var cluster = new FakeElasticsearch();
        cluster.On("HEAD", "/products", 404, "");
        cluster.On("PUT", "/products", 400, """
            {"error":{"root_cause":[{"type":"resource_already_exists_exception","reason":"index [products/kGd3TkHlSPGy1kDeaOm0FQ] already exists","index_uuid":"kGd3TkHlSPGy1kDeaOm0FQ","index":"products"}],"type":"resource_already_exists_exception","reason":"index [products/kGd3TkHlSPGy1kDeaOm0FQ] already exists","index_uuid":"kGd3TkHlSPGy1kDeaOm0FQ","index":"products"},"status":400}
            """);
        cluster.OnBulk(BulkResponse(("index", 201, null)));

        await cluster.Index().IndexAsync([Kettle()], CancellationToken.None);

        Assert.Single(cluster.Requests("POST", "/products/_bulk"));
    }

    [Fact]
    public async Task An_existing_index_is_left_alone()
    {
        using var cluster = new FakeElasticsearch();
        cluster.WithIndex();
        cluster.On("POST", "/products/_count", 200, """{"count":3,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0}}""");

        Assert.Equal(3, await cluster.Index().CountAsync(CancellationToken.None));

        Assert.Empty(cluster.Requests("PUT", "/products"));
    }

    [Fact]
    public async Task Products_are_indexed_in_one_bulk_with_their_revision_as_external_version()
    {
        using var cluster = new FakeElasticsearch();
        cluster.WithIndex();
        // The second product is already there at a newer revision: Elasticsearch refuses it with a 409, which is the
        // outcome wanted (a late write changes nothing), so the call succeeds.
        cluster.OnBulk(BulkResponse(("index", 201, null), ("index", 409, VersionConflict)));
        var kettle = Kettle();
        var toaster = Kettle() with { Id = Guid.NewGuid(), Name = "Brio Toaster", Brand = "Brio", Revision = 2 };

        await cluster.Index().IndexAsync([kettle, toaster], CancellationToken.None);

        var lines = NdJson(Assert.Single(cluster.Requests("POST", "/products/_bulk")));
        Assert.Equal(4, lines.Count);
        var action = lines[0].GetProperty("index");
        Assert.Equal(kettle.Id.ToString(), action.GetProperty("_id").GetString());
        Assert.Equal(7, action.GetProperty("version").GetInt64());
        Assert.Equal("external", action.GetProperty("version_type").GetString());
        var source = lines[1];
        Assert.Equal("Acme Kettle", source.GetProperty("name").GetString());
        Assert.Equal(39.90m, source.GetProperty("price").GetDecimal());
        Assert.True(source.GetProperty("inStock").GetBoolean());
        Assert.Equal(kettle.ImageIds[0].ToString(), source.GetProperty("imageIds")[0].GetString());
        Assert.Equal(kettle.CreatedAt, source.GetProperty("createdAt").GetDateTimeOffset());
        Assert.Equal(7, source.GetProperty("revision").GetInt64());
        Assert.Equal(2, lines[2].GetProperty("index").GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task A_bulk_item_refused_for_another_reason_throws_with_its_reason()
    {
        using var cluster = new FakeElasticsearch();
        cluster.WithIndex();
        cluster.OnBulk(BulkResponse(
            ("index", 201, null),
            ("index", 400, """{"type":"document_parsing_exception","reason":"[1:187] failed to parse field [createdAt] of type [date]"}""")));

        var error = await Assert.ThrowsAsync<SearchUnavailableException>(() =>
            cluster.Index().IndexAsync([Kettle(), Kettle() with { Id = Guid.NewGuid() }], CancellationToken.None));

        Assert.Contains("document_parsing_exception", error.Message);
        Assert.Contains("failed to parse field [createdAt]", error.Message);
    }

    [Fact]
    public async Task Deletes_carry_the_revision_as_an_external_gte_version()
    {
        using var cluster = new FakeElasticsearch();
        cluster.WithIndex();
        // Gone already (404) and deleted since at a newer revision (409) are both the state wanted.
        cluster.OnBulk(BulkResponse(("delete", 200, null), ("delete", 404, null), ("delete", 409, VersionConflict)));
        var products = new Dictionary<Guid, long> { [Guid.NewGuid()] = 9, [Guid.NewGuid()] = 3, [Guid.NewGuid()] = 4 };

        await cluster.Index().DeleteAsync(products, CancellationToken.None);

        var lines = NdJson(Assert.Single(cluster.Requests("POST", "/products/_bulk")));
        Assert.Equal(3, lines.Count);
        var sent = lines.Select(line => line.GetProperty("delete")).ToDictionary(
            action => Guid.Parse(action.GetProperty("_id").GetString()!), action => action);
        foreach (var (id, revision) in products)
        {
            Assert.Equal(revision, sent[id].GetProperty("version").GetInt64());
            Assert.Equal("external_gte", sent[id].GetProperty("version_type").GetString());
        }
    }

    [Fact]
    public async Task Search_sends_fuzzy_boosted_text_with_filters_after_the_facets_each_free_of_its_own_filter()
    {
        using var cluster = new FakeElasticsearch();
        cluster.WithIndex();
        cluster.On("POST", "/products/_pit", 200, PitResponse("pit-1"));
        var kettle = Kettle();
        var jug = Kettle() with { Id = Guid.NewGuid(), Name = "Acme Jug Kettle", Price = 24.50m };
        var third = Kettle() with { Id = Guid.NewGuid(), Name = "Acme Travel Kettle" };
        cluster.On("POST", "/_search", 200, SearchResponse(
            total: 42,
            [(kettle, 7.25, [7.25, kettle.Id.ToString()]), (jug, 5.5, [5.5, jug.Id.ToString()]), (third, 5.1, [5.1, third.Id.ToString()])],
            pitId: "pit-1",
            categories: [("Kitchen", 40), ("Outdoor", 6)],
            brands: [("Acme", 30), ("Brio", 12), ("Zest", 3)],
            inStock: [(true, 38), (false, 4)]));

        var results = await cluster.Index().SearchAsync(new SearchRequest
        {
            Text = " acme ketle ",
            Categories = ["Kitchen"],
            Brands = ["Acme", "Brio"],
            MinPrice = 10m,
            MaxPrice = 50m,
            InStock = true,
            Size = 2,
        }, CancellationToken.None);

        var pit = Assert.Single(cluster.Requests("POST", "/products/_pit"));
        Assert.Equal("5m", pit.Query!["keep_alive"].Single());
        var body = Json(Assert.Single(cluster.Requests("POST", "/_search")));
        Assert.Equal("pit-1", body.GetProperty("pit").GetProperty("id").GetString());
        Assert.Equal("5m", body.GetProperty("pit").GetProperty("keep_alive").GetString());
        Assert.True(body.GetProperty("track_total_hits").GetBoolean());
        Assert.Equal(3, body.GetProperty("size").GetInt32());

        var should = body.GetProperty("query").GetProperty("bool").GetProperty("should").EnumerateArray()
            .Select(clause => clause.GetProperty("multi_match")).ToList();
        Assert.Equal(2, should.Count);
        var exact = should.Single(clause => !clause.TryGetProperty("fuzziness", out _));
        var fuzzy = should.Single(clause => clause.TryGetProperty("fuzziness", out _));
        Assert.Equal("AUTO", fuzzy.GetProperty("fuzziness").GetString());
        Assert.True(exact.GetProperty("boost").GetDouble() > 1);
        string[] boostedFields = ["name^3", "brand.text^2", "category.text^1.5", "sku^2", "description"];
        foreach (var clause in should)
        {
            Assert.Equal("acme ketle", clause.GetProperty("query").GetString());
            Assert.Equal("and", clause.GetProperty("operator").GetString());
            Assert.Equal(boostedFields, clause.GetProperty("fields").EnumerateArray().Select(f => f.GetString()));
        }

        var postFilter = FilterFields(body.GetProperty("post_filter"));
        Assert.Equal(["terms:category=Kitchen", "terms:brand=Acme,Brio", "range:price=10..50", "term:inStock=True"], postFilter);
        var aggregations = body.GetProperty("aggregations");
        Assert.Equal(["terms:brand=Acme,Brio", "range:price=10..50", "term:inStock=True"], FilterFields(aggregations.GetProperty("category").GetProperty("filter")));
        Assert.Equal(["terms:category=Kitchen", "range:price=10..50", "term:inStock=True"], FilterFields(aggregations.GetProperty("brand").GetProperty("filter")));
        Assert.Equal(["terms:category=Kitchen", "terms:brand=Acme,Brio", "range:price=10..50"], FilterFields(aggregations.GetProperty("inStock").GetProperty("filter")));
        Assert.Equal("brand", aggregations.GetProperty("brand").GetProperty("aggregations").GetProperty("brand").GetProperty("terms").GetProperty("field").GetString());
        Assert.False(body.GetProperty("query").ToString().Contains("Kitchen", StringComparison.Ordinal), "filters must not change relevance or facets");

        Assert.Equal(42, results.Total);
        Assert.Equal([kettle.Id, jug.Id], results.Hits.Select(hit => hit.Product.Id));
        Assert.Equal(7.25f, results.Hits[0].Score);
        Assert.Equal(jug, results.Hits[1].Product with { ImageIds = jug.ImageIds });
        Assert.Equal(jug.ImageIds, results.Hits[1].Product.ImageIds);
        Assert.Equal([("Kitchen", 40L), ("Outdoor", 6L)], results.Facets[SearchFacets.Category].Select(f => (f.Value, f.Count)));
        Assert.Equal([("Acme", 30L), ("Brio", 12L), ("Zest", 3L)], results.Facets[SearchFacets.Brand].Select(f => (f.Value, f.Count)));
        Assert.Equal([("true", 38L), ("false", 4L)], results.Facets[SearchFacets.InStock].Select(f => (f.Value, f.Count)));
        Assert.NotNull(results.NextCursor);
        Assert.Empty(cluster.Requests("DELETE", "/_pit"));
    }

    [Fact]
    public async Task Blank_text_matches_every_product_and_no_filter_applies()
    {
        using var cluster = new FakeElasticsearch();
        cluster.WithIndex();
        cluster.On("POST", "/products/_pit", 200, PitResponse("pit-1"));
        cluster.On("POST", "/_search", 200, SearchResponse(0, [], "pit-1", [], [], []));
        cluster.On("DELETE", "/_pit", 200, """{"succeeded":true,"num_freed":1}""");

        var results = await cluster.Index().SearchAsync(new SearchRequest { Text = "   " }, CancellationToken.None);

        var body = Json(Assert.Single(cluster.Requests("POST", "/_search")));
        Assert.True(body.GetProperty("query").TryGetProperty("match_all", out _));
        Assert.False(body.TryGetProperty("post_filter", out _));
        foreach (var facet in new[] { "category", "brand", "inStock" })
            Assert.True(body.GetProperty("aggregations").GetProperty(facet).GetProperty("filter").TryGetProperty("match_all", out _));
        Assert.Equal(21, body.GetProperty("size").GetInt32());
        Assert.Equal(0, results.Total);
        Assert.Empty(results.Hits);
        Assert.Null(results.NextCursor);
        Assert.Empty(results.Facets[SearchFacets.Brand]);
        // The only page was the last: its point in time is given back rather than left to expire.
        Assert.Equal("pit-1", Json(Assert.Single(cluster.Requests("DELETE", "/_pit"))).GetProperty("id").GetString());
    }

    [Theory]
    [InlineData(SearchSort.Relevance, "_score", "desc")]
    [InlineData(SearchSort.PriceAscending, "price", "asc")]
    [InlineData(SearchSort.PriceDescending, "price", "desc")]
    [InlineData(SearchSort.Newest, "createdAt", "desc")]
    [InlineData(SearchSort.Name, "name.raw", "asc")]
    public async Task Every_sort_ends_with_the_product_id(SearchSort sort, string field, string order)
    {
        using var cluster = new FakeElasticsearch();
        cluster.WithIndex();
        cluster.On("POST", "/products/_pit", 200, PitResponse("pit-1"));
        cluster.On("POST", "/_search", 200, SearchResponse(0, [], "pit-1", [], [], []));
        cluster.On("DELETE", "/_pit", 200, """{"succeeded":true,"num_freed":1}""");

        await cluster.Index().SearchAsync(new SearchRequest { Text = "kettle", Sort = sort }, CancellationToken.None);

        var sorts = Json(Assert.Single(cluster.Requests("POST", "/_search"))).GetProperty("sort").EnumerateArray().ToList();
        Assert.Equal(2, sorts.Count);
        Assert.Equal(order, sorts[0].GetProperty(field).GetProperty("order").GetString());
        Assert.Equal("asc", sorts[1].GetProperty("id").GetProperty("order").GetString());
    }

    [Fact]
    public async Task The_next_page_reads_the_same_point_in_time_after_the_last_hit_shown()
    {
        using var cluster = new FakeElasticsearch();
        cluster.WithIndex();
        cluster.On("POST", "/products/_pit", 200, PitResponse("pit-1"));
        var (a, b, c) = (Kettle(), Kettle() with { Id = Guid.NewGuid(), Price = 45m }, Kettle() with { Id = Guid.NewGuid(), Price = 49m });
        // Elasticsearch may answer with a newer id for the same point in time: the next page must use that one.
        cluster.OnSequence("POST", "/_search",
            (200, SearchResponse(3, [(a, null, [39.9, a.Id.ToString()]), (b, null, [45.0, b.Id.ToString()]), (c, null, [49.0, c.Id.ToString()])], "pit-2", [], [], [])),
            (200, SearchResponse(3, [(c, null, [49.0, c.Id.ToString()])], "pit-2", [], [], [])));
        cluster.On("DELETE", "/_pit", 200, """{"succeeded":true,"num_freed":1}""");
        var index = cluster.Index();
        var request = new SearchRequest { Text = "kettle", Sort = SearchSort.PriceAscending, Size = 2 };

        var first = await index.SearchAsync(request, CancellationToken.None);
        var second = await index.SearchAsync(request with { Cursor = first.NextCursor }, CancellationToken.None);

        Assert.Equal([a.Id, b.Id], first.Hits.Select(hit => hit.Product.Id));
        Assert.All(first.Hits, hit => Assert.Null(hit.Score));
        Assert.Equal([c.Id], second.Hits.Select(hit => hit.Product.Id));
        Assert.Null(second.NextCursor);
        Assert.Single(cluster.Requests("POST", "/products/_pit"));
        var searches = cluster.Requests("POST", "/_search").Select(Json).ToList();
        Assert.Equal(2, searches.Count);
        Assert.False(searches[0].TryGetProperty("search_after", out _));
        Assert.Equal("pit-2", searches[1].GetProperty("pit").GetProperty("id").GetString());
        var after = searches[1].GetProperty("search_after");
        Assert.Equal(45.0, after[0].GetDouble());
        Assert.Equal(b.Id.ToString(), after[1].GetString());
        Assert.Equal(searches[0].GetProperty("sort").ToString(), searches[1].GetProperty("sort").ToString());
        Assert.Equal("pit-2", Json(Assert.Single(cluster.Requests("DELETE", "/_pit"))).GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_cursor_that_was_altered_or_belongs_to_another_query_is_refused()
    {
        using var cluster = new FakeElasticsearch();
        cluster.WithIndex();
        cluster.On("POST", "/products/_pit", 200, PitResponse("pit-1"));
        var (a, b) = (Kettle(), Kettle() with { Id = Guid.NewGuid() });
        cluster.On("POST", "/_search", 200, SearchResponse(2, [(a, 3.0, [3.0, a.Id.ToString()]), (b, 2.0, [2.0, b.Id.ToString()])], "pit-1", [], [], []));
        var index = cluster.Index();
        var request = new SearchRequest { Text = "kettle", Size = 1 };
        var cursor = (await index.SearchAsync(request, CancellationToken.None)).NextCursor!;
        var searchesBefore = cluster.Requests("POST", "/_search").Count;

        var decoded = JsonNode.Parse(Base64Url.DecodeFromChars(cursor))!;
        decoded["q"] = "AAAAAAAAAAAAAAAAAAAAAA";
        var forged = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(decoded.ToJsonString()));
        var shortened = JsonNode.Parse(Base64Url.DecodeFromChars(cursor))!;
        shortened["after"]!.AsArray().RemoveAt(1);
        var truncated = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(shortened.ToJsonString()));

        foreach (var bad in new[] { "not a cursor!", cursor[..(cursor.Length / 2)], forged, truncated })
            await Assert.ThrowsAsync<InvalidSearchCursorException>(() => index.SearchAsync(request with { Cursor = bad }, CancellationToken.None));
        await Assert.ThrowsAsync<InvalidSearchCursorException>(() =>
            index.SearchAsync(request with { Text = "toaster", Cursor = cursor }, CancellationToken.None));
        await Assert.ThrowsAsync<InvalidSearchCursorException>(() =>
            index.SearchAsync(request with { Brands = ["Acme"], Cursor = cursor }, CancellationToken.None));
        Assert.Equal(searchesBefore, cluster.Requests("POST", "/_search").Count);

        // The page size is not part of the query: the same cursor reads on with a larger page.
        await index.SearchAsync(request with { Size = 5, Cursor = cursor }, CancellationToken.None);
        Assert.Equal(searchesBefore + 1, cluster.Requests("POST", "/_search").Count);
    }

    [Fact]
    public async Task An_expired_point_in_time_falls_back_to_search_after_on_the_live_index()
    {
        using var cluster = new FakeElasticsearch();
        cluster.WithIndex();
        cluster.On("POST", "/products/_pit", 200, PitResponse("pit-1"));
        var (a, b, c, d) = (Kettle(), Kettle() with { Id = Guid.NewGuid() }, Kettle() with { Id = Guid.NewGuid() }, Kettle() with { Id = Guid.NewGuid() });
        cluster.OnSequence("POST", "/_search",
            (200, SearchResponse(4, [(a, 4.0, [4.5, a.Id.ToString()]), (b, 3.5, [3.5, b.Id.ToString()])], "pit-1", [], [], [])),
            (404, """
                {"error":{"root_cause":[{"type":"search_context_missing_exception","reason":"No search context found for id [91]"}],"type":"search_phase_execution_exception","reason":"all shards failed","phase":"query","grouped":true,"failed_shards":[{"shard":-1,"index":null,"reason":{"type":"search_context_missing_exception","reason":"No search context found for id [91]"}}]},"status":404}
                """));
        cluster.On("POST", "/products/_search", 200, SearchResponse(4, [(b, 3.5, [3.5, b.Id.ToString()]), (c, 3.0, [3.0, c.Id.ToString()]), (d, 2.0, [2.0, d.Id.ToString()])], null, [], [], []));
        var index = cluster.Index();
        var request = new SearchRequest { Text = "kettle", Size = 1 };

        var first = await index.SearchAsync(request, CancellationToken.None);
        var second = await index.SearchAsync(request with { Cursor = first.NextCursor }, CancellationToken.None);
        var third = await index.SearchAsync(request with { Cursor = second.NextCursor }, CancellationToken.None);

        Assert.Equal([b.Id], second.Hits.Select(hit => hit.Product.Id));
        var expired = Json(cluster.Requests("POST", "/_search")[1]);
        var fallback = cluster.Requests("POST", "/products/_search").Select(Json).ToList();
        Assert.Equal(2, fallback.Count);
        Assert.False(fallback[0].TryGetProperty("pit", out _));
        Assert.Equal(expired.GetProperty("search_after").ToString(), fallback[0].GetProperty("search_after").ToString());
        Assert.Equal(4.5, fallback[0].GetProperty("search_after")[0].GetDouble());
        Assert.Equal(expired.GetProperty("query").ToString(), fallback[0].GetProperty("query").ToString());
        // Once the point in time is gone the pages stay on the live index and open no new one midway.
        Assert.Equal(2, cluster.Requests("POST", "/_search").Count);
        Assert.False(fallback[1].TryGetProperty("pit", out _));
        Assert.Equal(b.Id.ToString(), fallback[1].GetProperty("search_after")[1].GetString());
        Assert.Single(cluster.Requests("POST", "/products/_pit"));
        Assert.NotNull(third.NextCursor);
    }

    [Fact]
    public async Task A_cluster_answering_503_is_search_unavailable()
    {
        using var cluster = new FakeElasticsearch();
        cluster.WithIndex();
        cluster.On("POST", "/products/_pit", 503, """
            {"error":{"root_cause":[{"type":"no_shard_available_action_exception","reason":"No shard available for [open point in time]"}],"type":"search_phase_execution_exception","reason":"all shards failed","phase":"open_pit","grouped":true,"failed_shards":[]},"status":503}
            """);
        cluster.On("POST", "/products/_count", 503, """
            {"error":{"root_cause":[{"type":"cluster_block_exception","reason":"blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];"}],"type":"cluster_block_exception","reason":"blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];"},"status":503}
            """);
        cluster.On("POST", "/products/_bulk", 503, "", "text/plain");
        var index = cluster.Index();

        var search = await Assert.ThrowsAsync<SearchUnavailableException>(() => index.SearchAsync(new SearchRequest { Text = "kettle" }, CancellationToken.None));
        var count = await Assert.ThrowsAsync<SearchUnavailableException>(() => index.CountAsync(CancellationToken.None));
        var bulk = await Assert.ThrowsAsync<SearchUnavailableException>(() => index.IndexAsync([Kettle()], CancellationToken.None));

        Assert.Equal(503, search.StatusCode);
        Assert.Contains("No shard available", search.Message);
        Assert.Equal(503, count.StatusCode);
        Assert.Contains("cluster_block_exception", count.Message);
        Assert.Equal(503, bulk.StatusCode);
        Assert.Empty(cluster.Requests("POST", "/_search"));
    }

    [Fact]
    public async Task A_query_the_cluster_rejects_is_search_unavailable_with_its_reason()
    {
        using var cluster = new FakeElasticsearch();
        cluster.WithIndex();
        cluster.On("POST", "/products/_pit", 200, PitResponse("pit-1"));
        cluster.On("POST", "/_search", 400, """
            {"error":{"root_cause":[{"type":"query_shard_exception","reason":"failed to create query: maxClauseCount is set to 4096","index_uuid":"kGd3TkHlSPGy1kDeaOm0FQ","index":"products"}],"type":"search_phase_execution_exception","reason":"all shards failed","phase":"query","grouped":true,"failed_shards":[{"shard":0,"index":"products","node":"x1","reason":{"type":"query_shard_exception","reason":"failed to create query: maxClauseCount is set to 4096"}}]},"status":400}
            """);

        var error = await Assert.ThrowsAsync<SearchUnavailableException>(() =>
            cluster.Index().SearchAsync(new SearchRequest { Text = "kettle" }, CancellationToken.None));

        Assert.Equal(400, error.StatusCode);
        Assert.Contains("maxClauseCount is set to 4096", error.Message);
        Assert.Empty(cluster.Requests("POST", "/products/_search"));
        // No cursor will name the point in time this failed first page opened: it is given back at once.
        Assert.Equal("pit-1", Json(Assert.Single(cluster.Requests("DELETE", "/_pit"))).GetProperty("id").GetString());
    }

    [Fact]
    public async Task An_index_deleted_under_the_adapter_is_created_again_on_the_next_call()
    {
        using var cluster = new FakeElasticsearch();
        cluster.OnSequence("HEAD", "/products", (200, ""), (404, ""));
        cluster.On("PUT", "/products", 200, """{"acknowledged":true,"shards_acknowledged":true,"index":"products"}""");
        cluster.OnSequence("POST", "/products/_count",
            (404, """{"error":{"root_cause":[{"type":"index_not_found_exception","reason":"no such index [products]","resource.type":"index_or_alias","resource.id":"products","index_uuid":"_na_","index":"products"}],"type":"index_not_found_exception","reason":"no such index [products]","resource.type":"index_or_alias","resource.id":"products","index_uuid":"_na_","index":"products"},"status":404}"""),
            (200, """{"count":0,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0}}"""));
        var index = cluster.Index();

        var error = await Assert.ThrowsAsync<SearchUnavailableException>(() => index.CountAsync(CancellationToken.None));
        var count = await index.CountAsync(CancellationToken.None);

        Assert.Contains("no such index", error.Message);
        Assert.Equal(0, count);
        Assert.Equal(2, cluster.Requests("HEAD", "/products").Count);
        Assert.Single(cluster.Requests("PUT", "/products"));
    }

    [Fact]
    public async Task A_caller_that_cancels_gets_a_cancellation_not_an_outage()
    {
        using var cluster = new FakeElasticsearch();
        cluster.WithIndex();
        cluster.On("POST", "/products/_count", 200, """{"count":3,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0}}""", delay: TimeSpan.FromSeconds(3));
        var index = cluster.Index();
        using var cancellation = new CancellationTokenSource();
        cancellation.CancelAfter(TimeSpan.FromMilliseconds(500));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => index.CountAsync(cancellation.Token));
    }

    [Fact]
    public async Task No_answer_within_the_request_timeout_is_search_unavailable()
    {
        using var cluster = new FakeElasticsearch();
        cluster.WithIndex();
        cluster.On("POST", "/products/_count", 200, """{"count":3,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0}}""", delay: TimeSpan.FromSeconds(6));
        var index = cluster.Index(options => options.RequestTimeout = TimeSpan.FromSeconds(1));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<SearchUnavailableException>(() => index.CountAsync(CancellationToken.None));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "gave up at the timeout, not when the answer came");
        Assert.Null(error.StatusCode);
        Assert.True(error.Message.Contains("no answer within 1 s", StringComparison.Ordinal), error.Message);
    }

    [Fact]
    public async Task An_unreachable_cluster_is_search_unavailable()
    {
        var index = new ElasticsearchProductIndex(
            new ElasticsearchSearchOptions { Url = new Uri($"http://127.0.0.1:{FakeElasticsearch.FreePort()}") },
            new ListLogger<ElasticsearchProductIndex>());

        var error = await Assert.ThrowsAsync<SearchUnavailableException>(() => index.CountAsync(CancellationToken.None));

        Assert.Null(error.StatusCode);
        Assert.Contains("could not be reached", error.Message);
    }

    [Fact]
    public async Task The_api_key_is_sent_as_ApiKey_authorization_and_never_logged()
    {
        const string secret = "s3cr3t-KEY-value-0123456789";
        var apiKey = Convert.ToBase64String(Encoding.UTF8.GetBytes($"VuaCfGcBCdbkQm-e5aOx:{secret}"));
        using var cluster = new FakeElasticsearch();
        cluster.On("HEAD", "/products", 404, "");
        cluster.On("PUT", "/products", 200, """{"acknowledged":true,"shards_acknowledged":true,"index":"products"}""");
        cluster.OnBulk(BulkResponse(("index", 400, """{"type":"document_parsing_exception","reason":"failed to parse field [price]"}""")));
        cluster.On("POST", "/products/_pit", 401, """
            {"error":{"root_cause":[{"type":"security_exception","reason":"unable to authenticate with provided credentials and anonymous access is not allowed for this request","additional_unsuccessful_credentials":"API key: api key [VuaCfGcBCdbkQm-e5aOx] has been invalidated","header":{"WWW-Authenticate":["Basic realm=\"security\", charset=\"UTF-8\"","ApiKey"]}}],"type":"security_exception","reason":"unable to authenticate with provided credentials and anonymous access is not allowed for this request","header":{"WWW-Authenticate":["Basic realm=\"security\", charset=\"UTF-8\"","ApiKey"]}},"status":401}
            """);
        cluster.On("POST", "/products/_count", 503, "", "text/plain");
        var logger = new ListLogger<ElasticsearchProductIndex>();
        var index = cluster.Index(options => options.ApiKey = apiKey, logger);

        var errors = new List<Exception>
        {
            await Assert.ThrowsAsync<SearchUnavailableException>(() => index.IndexAsync([Kettle()], CancellationToken.None)),
            await Assert.ThrowsAsync<SearchUnavailableException>(() => index.SearchAsync(new SearchRequest(), CancellationToken.None)),
            await Assert.ThrowsAsync<SearchUnavailableException>(() => index.CountAsync(CancellationToken.None)),
        };

        var requests = cluster.Requests();
        Assert.Equal(5, requests.Count);
        Assert.All(requests, request => Assert.Equal($"ApiKey {apiKey}", request.Headers!["Authorization"].Single()));
        Assert.NotEmpty(logger.Lines);
        var written = string.Join("\n", logger.Lines.Concat(errors.Select(error => error.ToString())));
        Assert.DoesNotContain(apiKey, written, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, written, StringComparison.Ordinal);
    }

    [Fact]
    public void Registration_reads_the_configuration_section_and_refuses_bad_settings()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddElasticsearchProductIndex(Configuration(new()
        {
            ["Commerce:Search:Elasticsearch:Url"] = "http://127.0.0.1:9200",
            ["Commerce:Search:Elasticsearch:IndexName"] = "catalog-v2",
            ["Commerce:Search:Elasticsearch:RequestTimeout"] = "00:00:05",
        }));
        using var provider = services.BuildServiceProvider();

        Assert.IsType<ElasticsearchProductIndex>(provider.GetRequiredService<IProductSearchIndex>());
        var options = provider.GetRequiredService<ElasticsearchSearchOptions>();
        Assert.Equal("catalog-v2", options.IndexName);
        Assert.Equal(TimeSpan.FromSeconds(5), options.RequestTimeout);
        Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddElasticsearchProductIndex(Configuration(new())));
        Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddElasticsearchProductIndex(Configuration(new()
        {
            ["Commerce:Search:Elasticsearch:Url"] = "http://elastic:changeme@127.0.0.1:9200",
        })));
    }

    private const string VersionConflict = """{"type":"version_conflict_engine_exception","reason":"[1]: version conflict, current version [9] is higher or equal to the one provided [7]","index_uuid":"kGd3TkHlSPGy1kDeaOm0FQ","shard":"0","index":"products"}""";

    private static ProductSearchDocument Kettle() => new(
        Guid.NewGuid(), "ACM-KT-1", "Acme Kettle", "Acme", "Kitchen", "A 1.7 l stainless steel kettle.", 39.90m, "EUR", true,
        [Guid.NewGuid()], new DateTimeOffset(2025, 1, 15, 9, 30, 0, TimeSpan.Zero), 7);

    private static IConfiguration Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    private static string? Type(JsonElement properties, string field) => properties.GetProperty(field).GetProperty("type").GetString();

    private static JsonElement Json(IRequestMessage request) => JsonDocument.Parse(request.Body!).RootElement;

    private static List<JsonElement> NdJson(IRequestMessage request) =>
        [.. request.Body!.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement)];

    // A bool filter's clauses as "kind:field=values", in the order sent.
    private static List<string> FilterFields(JsonElement query) =>
    [
        .. query.GetProperty("bool").GetProperty("filter").EnumerateArray().Select(clause =>
        {
            var kind = clause.EnumerateObject().Single();
            var field = kind.Value.EnumerateObject().Single();
            var values = kind.Name switch
            {
                "terms" => string.Join(",", field.Value.EnumerateArray().Select(v => v.GetString())),
                "range" => $"{field.Value.GetProperty("gte")}..{field.Value.GetProperty("lte")}",
                _ => field.Value.GetProperty("value").GetBoolean().ToString(),
            };
            return $"{kind.Name}:{field.Name}={values}";
        }),
    ];

    private static string PitResponse(string id) =>
        new JsonObject { ["id"] = id, ["_shards"] = Shards() }.ToJsonString();

    private static JsonObject Shards() => new() { ["total"] = 1, ["successful"] = 1, ["skipped"] = 0, ["failed"] = 0 };

    private static string BulkResponse(params (string Operation, int Status, string? Error)[] items)
    {
        var array = new JsonArray();
        foreach (var (operation, status, error) in items)
        {
            var item = new JsonObject { ["_index"] = "products", ["_id"] = Guid.NewGuid().ToString(), ["status"] = status };
            if (error is not null)
                item["error"] = JsonNode.Parse(error);
            else
            {
                item["_version"] = 7;
                item["result"] = status == 404 ? "not_found" : operation == "delete" ? "deleted" : "created";
                item["_shards"] = new JsonObject { ["total"] = 2, ["successful"] = 1, ["failed"] = 0 };
                item["_seq_no"] = 12;
                item["_primary_term"] = 1;
            }

            array.Add(new JsonObject { [operation] = item });
        }

        return new JsonObject { ["errors"] = items.Any(i => i.Error is not null), ["took"] = 3, ["items"] = array }.ToJsonString();
    }

    // A search answer as Elasticsearch writes it with typed_keys=true (which the client always asks for): each
    // aggregation's name carries its type, "filter#brand" holding "sterms#brand"; a boolean field's terms are longs.
    private static string SearchResponse(
        long total,
        (ProductSearchDocument Product, double? Score, object[] Sort)[] hits,
        string? pitId,
        (string Key, long Count)[] categories,
        (string Key, long Count)[] brands,
        (bool Key, long Count)[] inStock)
    {
        var hitArray = new JsonArray();
        foreach (var (product, score, sort) in hits)
            hitArray.Add(new JsonObject
            {
                ["_index"] = "products",
                ["_id"] = product.Id.ToString(),
                ["_score"] = score,
                ["_source"] = Source(product),
                ["sort"] = new JsonArray([.. sort.Select(value => value switch
                {
                    double number => JsonValue.Create(number),
                    long number => JsonValue.Create(number),
                    _ => (JsonNode)JsonValue.Create((string)value),
                })]),
            });

        JsonObject StringTerms(string name, (string Key, long Count)[] buckets) => new()
        {
            ["doc_count"] = total,
            [$"sterms#{name}"] = new JsonObject
            {
                ["doc_count_error_upper_bound"] = 0,
                ["sum_other_doc_count"] = 0,
                ["buckets"] = new JsonArray([.. buckets.Select(b => (JsonNode)new JsonObject { ["key"] = b.Key, ["doc_count"] = b.Count })]),
            },
        };

        var response = new JsonObject
        {
            ["took"] = 4,
            ["timed_out"] = false,
            ["_shards"] = Shards(),
            ["hits"] = new JsonObject
            {
                ["total"] = new JsonObject { ["value"] = total, ["relation"] = "eq" },
                ["max_score"] = hits.Select(h => h.Score).FirstOrDefault(),
                ["hits"] = hitArray,
            },
            ["aggregations"] = new JsonObject
            {
                ["filter#category"] = StringTerms("category", categories),
                ["filter#brand"] = StringTerms("brand", brands),
                ["filter#inStock"] = new JsonObject
                {
                    ["doc_count"] = total,
                    ["lterms#inStock"] = new JsonObject
                    {
                        ["doc_count_error_upper_bound"] = 0,
                        ["sum_other_doc_count"] = 0,
                        ["buckets"] = new JsonArray([.. inStock.Select(b => (JsonNode)new JsonObject
                        {
                            ["key"] = b.Key ? 1 : 0,
                            ["key_as_string"] = b.Key ? "true" : "false",
                            ["doc_count"] = b.Count,
                        })]),
                    },
                },
            },
        };
        if (pitId is not null)
            response["pit_id"] = pitId;
        return response.ToJsonString();
    }

    private static JsonObject Source(ProductSearchDocument product) => new()
    {
        ["id"] = product.Id.ToString(),
        ["sku"] = product.Sku,
        ["name"] = product.Name,
        ["brand"] = product.Brand,
        ["category"] = product.Category,
        ["description"] = product.Description,
        ["price"] = product.Price,
        ["currency"] = product.Currency,
        ["inStock"] = product.InStock,
        ["imageIds"] = new JsonArray([.. product.ImageIds.Select(id => JsonValue.Create(id.ToString()))]),
        ["createdAt"] = product.CreatedAt.ToString("O"),
        ["revision"] = product.Revision,
    };
}

// Elasticsearch's HTTP face on a free loopback port: each test says what the cluster answers and reads back what it was
// sent. Answers carry the headers a real node sends, the product header the client checks among them.
internal sealed class FakeElasticsearch : IDisposable
{
    private const string CompatibleJson = "application/vnd.elasticsearch+json;compatible-with=9";

    private readonly WireMockServer _server;

    public FakeElasticsearch()
    {
        var port = FreePort();
        _server = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{port}"] });
        Url = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri Url { get; }

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public ElasticsearchProductIndex Index(Action<ElasticsearchSearchOptions>? configure = null, ILogger<ElasticsearchProductIndex>? logger = null)
    {
        var options = new ElasticsearchSearchOptions { Url = Url };
        configure?.Invoke(options);
        return new ElasticsearchProductIndex(options, logger ?? new ListLogger<ElasticsearchProductIndex>());
    }

    public void WithIndex() => On("HEAD", "/products", 200, "");

    // The client asks for plain JSON on _bulk (its body is NDJSON), and Elasticsearch answers in the type asked for.
    public void OnBulk(string body) => On("POST", "/products/_bulk", 200, body, "application/json");

    public void On(string method, string path, int status, string body, string contentType = CompatibleJson, TimeSpan? delay = null) =>
        _server.Given(Request.Create().WithPath(path).UsingMethod(method)).RespondWith(Answer(status, body, contentType, delay));

    // Answers in turn, the last one from then on.
    public void OnSequence(string method, string path, params (int Status, string Body)[] answers)
    {
        var scenario = Guid.NewGuid().ToString();
        for (var i = 0; i < answers.Length; i++)
        {
            var mapping = _server.Given(Request.Create().WithPath(path).UsingMethod(method)).InScenario(scenario);
            if (i > 0)
                mapping = mapping.WhenStateIs($"answer-{i}");
            if (i < answers.Length - 1)
                mapping = mapping.WillSetStateTo($"answer-{i + 1}");
            mapping.RespondWith(Answer(answers[i].Status, answers[i].Body, CompatibleJson, null));
        }
    }

    public List<IRequestMessage> Requests(string? method = null, string? path = null) =>
    [
        .. _server.LogEntries.Select(entry => entry.RequestMessage)
            .Where(request => (method is null || request.Method == method) && (path is null || request.Path == path)),
    ];

    public void Dispose() => _server.Stop();

    private static IResponseBuilder Answer(int status, string body, string contentType, TimeSpan? delay)
    {
        var response = Response.Create().WithStatusCode(status).WithHeader("X-Elastic-Product", "Elasticsearch");
        if (body.Length > 0)
            response = response.WithHeader("Content-Type", contentType).WithBody(body);
        if (delay is not null)
            response = response.WithDelay(delay.Value);
        return response;
    }
}

internal sealed class ListLogger<T> : ILogger<T>
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
                return [.. _lines];
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines)
            _lines.Add($"{logLevel}: {formatter(state, exception)} {exception}");
    }
}
