using GlobalCommerce.Consumers.Catalog.Search;
using GlobalCommerce.Consumers.Catalog.Search.Lucene;
using Lucene.Net.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace GlobalCommerce.Consumers.Tests.Catalog.Search;

// The search behaviour shoppers rely on, against the Lucene.Net backend: ranking, typos, filters, facets, cursors that hold
// still while products are added, and writes that a replay or a late copy cannot undo.
public sealed class LuceneSearchBehaviourTests : IDisposable
{
    readonly LuceneProductIndex _index = new(new RAMDirectory(), TimeSpan.FromMinutes(5), NullLogger<LuceneProductIndex>.Instance);

    public void Dispose() => _index.Dispose();

    static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    static ProductSearchDocument Doc(string name, string brand = "Acme", string category = "Audio", decimal price = 10m, bool inStock = true,
        string description = "", long revision = 1, Guid? id = null, int minutes = 0) =>
        new(id ?? Guid.NewGuid(), "SKU-" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant(), name, brand, category, description, price, "EUR",
            inStock, [], Epoch.AddMinutes(minutes), revision);

    Task<SearchResults> Search(string? text, Func<SearchRequest, SearchRequest>? refine = null) =>
        _index.SearchAsync((refine ?? (r => r))(new SearchRequest { Text = text }), CancellationToken.None);

    [Fact]
    public async Task A_match_in_the_name_outranks_one_in_the_description_and_all_words_must_match()
    {
        await _index.IndexAsync([
            Doc("Kitchen Scale", description: "Pairs with wireless headphones"),
            Doc("Wireless Headphones"),
            Doc("Wireless Mouse"),
        ], CancellationToken.None);

        var results = await Search("wireless headphones");

        Assert.Equal(["Wireless Headphones", "Kitchen Scale"], results.Hits.Select(h => h.Product.Name));
        Assert.True(results.Hits[0].Score > results.Hits[1].Score);
    }

    [Theory]
    [InlineData("hedphones", "Headphones")] // one letter missing
    [InlineData("haedphones", "Headphones")] // two letters swapped (a transposition is one edit)
    [InlineData("headfones", "Headphones")] // two edits in a long word
    [InlineData("lamq", "Lamp")] // one edit in a word of four letters
    public async Task Typos_within_elasticsearch_auto_fuzziness_still_find_the_product(string query, string expected)
    {
        await _index.IndexAsync([Doc("Headphones"), Doc("Lamp"), Doc("Kettle")], CancellationToken.None);

        var results = await Search(query);

        Assert.Equal(expected, Assert.Single(results.Hits).Product.Name);
    }

    // Each word's automata are compiled once and shared by its name, brand and category queries (WordFuzzyQuery): a typo
    // still finds the word in whichever field holds it, and two misspelt words in two fields find the product together.
    [Theory]
    [InlineData("sonrix", "Speaker")] // the brand, one letter missing
    [InlineData("gardne", "Hose")] // the category, two letters swapped
    [InlineData("sonorx speeker", "Speaker")] // a brand and a name word, each misspelt
    [InlineData("speeker sonorx", "Speaker")]
    public async Task Typos_are_forgiven_in_the_brand_and_the_category_too(string query, string expected)
    {
        await _index.IndexAsync([
            Doc("Speaker", brand: "Sonorix", category: "Audio"),
            Doc("Hose", brand: "Verdant", category: "Garden"),
            Doc("Sneaker", brand: "Stride", category: "Fashion"),
        ], CancellationToken.None);

        var results = await Search(query);

        Assert.Equal(expected, Assert.Single(results.Hits).Product.Name);
    }

    [Theory]
    [InlineData("lmqp")] // two edits in a word of four letters: more than AUTO allows
    [InlineData("ab")] // two letters: no edit allowed
    public async Task Typos_beyond_auto_fuzziness_do_not_match(string query)
    {
        await _index.IndexAsync([Doc("Lamp"), Doc("Ax")], CancellationToken.None);

        Assert.Empty((await Search(query)).Hits);
    }

    [Fact]
    public async Task An_exact_match_outranks_a_fuzzy_one()
    {
        await _index.IndexAsync([Doc("Lamp"), Doc("Lame")], CancellationToken.None);

        var results = await Search("lamp");

        Assert.Equal("Lamp", results.Hits[0].Product.Name);
    }

    [Fact]
    public async Task Filters_combine_and_multi_select_facets_count_without_their_own_filter()
    {
        await _index.IndexAsync([
            Doc("Speaker One", brand: "Sonora", category: "Audio", price: 50m),
            Doc("Speaker Two", brand: "Fjord", category: "Audio", price: 150m),
            Doc("Speaker Three", brand: "Fjord", category: "Audio", price: 250m, inStock: false),
            Doc("Speaker Stand", brand: "Fjord", category: "Home", price: 30m),
        ], CancellationToken.None);

        var results = await Search("speaker", r => r with { Brands = ["Fjord"], Categories = ["Audio"], MinPrice = 100m, MaxPrice = 300m, InStock = true });

        Assert.Equal(["Speaker Two"], results.Hits.Select(h => h.Product.Name));
        Assert.Equal(1, results.Total);
        // Brand counts ignore the brand filter (Sonora's speaker is cheaper than 100, so it drops out by price).
        Assert.Equal([("Fjord", 1L)], results.Facets[SearchFacets.Brand].Select(v => (v.Value, v.Count)));
        // Category counts ignore the category filter: the Fjord stand is under 100, so Home has none either.
        Assert.Equal([("Audio", 1L)], results.Facets[SearchFacets.Category].Select(v => (v.Value, v.Count)));
        // Availability counts ignore the availability filter: the 250 speaker is out of stock.
        Assert.Equal([("true", 1L), ("false", 1L)], results.Facets[SearchFacets.InStock].Select(v => (v.Value, v.Count)));

        var anyBrand = await Search("speaker", r => r with { Brands = ["Fjord", "Sonora"] });
        Assert.Equal(4, anyBrand.Total);
        Assert.Equal([("Fjord", 3L), ("Sonora", 1L)], anyBrand.Facets[SearchFacets.Brand].Select(v => (v.Value, v.Count)));
    }

    [Fact]
    public async Task Every_sort_orders_as_named_with_the_id_breaking_ties()
    {
        await _index.IndexAsync([
            Doc("Bravo", price: 20m, minutes: 1),
            Doc("Alpha", price: 30m, minutes: 3),
            Doc("Charlie", price: 10m, minutes: 2),
        ], CancellationToken.None);

        Assert.Equal(["Charlie", "Bravo", "Alpha"], (await Search(null, r => r with { Sort = SearchSort.PriceAscending })).Hits.Select(h => h.Product.Name));
        Assert.Equal(["Alpha", "Bravo", "Charlie"], (await Search(null, r => r with { Sort = SearchSort.PriceDescending })).Hits.Select(h => h.Product.Name));
        Assert.Equal(["Alpha", "Charlie", "Bravo"], (await Search(null, r => r with { Sort = SearchSort.Newest })).Hits.Select(h => h.Product.Name));
        Assert.Equal(["Alpha", "Bravo", "Charlie"], (await Search(null, r => r with { Sort = SearchSort.Name })).Hits.Select(h => h.Product.Name));
    }

    [Theory]
    [InlineData(SearchSort.Relevance)]
    [InlineData(SearchSort.PriceAscending)]
    [InlineData(SearchSort.Newest)]
    public async Task Pages_from_a_cursor_neither_repeat_nor_skip_a_product_while_products_are_added(SearchSort sort)
    {
        var first = Enumerable.Range(0, 95).Select(i => Doc($"Desk lamp {i}", price: 10m + (i % 7), minutes: i)).ToList();
        await _index.IndexAsync(first, CancellationToken.None);

        var seen = new List<Guid>();
        string? cursor = null;
        var page = 0;
        do
        {
            var results = await Search("desk lamp", r => r with { Sort = sort, Size = 10, Cursor = cursor });
            seen.AddRange(results.Hits.Select(h => h.Product.Id));
            cursor = results.NextCursor;
            // Products added between pages (cheaper, newer and better matching ones among them) do not shift the pages.
            await _index.IndexAsync([Doc($"Desk lamp desk lamp new {page}", price: 1m, minutes: 1000 + page)], CancellationToken.None);
            page++;
        }
        while (cursor is not null);

        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Equal(first.Select(d => d.Id).Order(), seen.Order());
        // The next search sees the products added meanwhile.
        Assert.Equal(95 + page, (await Search("desk lamp", r => r with { Size = 1 })).Total);
    }

    [Fact]
    public async Task A_cursor_sent_with_other_words_or_tampered_with_is_refused()
    {
        await _index.IndexAsync(Enumerable.Range(0, 5).Select(i => Doc($"Lamp {i}")).ToList(), CancellationToken.None);
        var cursor = (await Search("lamp", r => r with { Size = 2 })).NextCursor!;

        await Assert.ThrowsAsync<InvalidSearchCursorException>(() => Search("kettle", r => r with { Size = 2, Cursor = cursor }));
        await Assert.ThrowsAsync<InvalidSearchCursorException>(() => Search("lamp", r => r with { Size = 2, Cursor = cursor[..^3] + "AAA" }));
        await Assert.ThrowsAsync<InvalidSearchCursorException>(() => Search("lamp", r => r with { Size = 2, Cursor = "not a cursor" }));
    }

    [Fact]
    public async Task A_replayed_or_older_revision_changes_nothing_and_a_removed_product_stays_removed()
    {
        var id = Guid.NewGuid();
        await _index.IndexAsync([Doc("Lamp", price: 12m, revision: 2, id: id)], CancellationToken.None);
        await _index.IndexAsync([Doc("Lamp", price: 10m, revision: 1, id: id)], CancellationToken.None);
        Assert.Equal(12m, Assert.Single((await Search("lamp")).Hits).Product.Price);

        await _index.DeleteAsync(new Dictionary<Guid, long> { [id] = 3 }, CancellationToken.None);
        await _index.IndexAsync([Doc("Lamp", price: 12m, revision: 2, id: id)], CancellationToken.None);
        Assert.Empty((await Search("lamp")).Hits);
        Assert.Equal(0, await _index.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_revisions_survive_a_restart_of_the_host()
    {
        var path = Path.Combine(Path.GetTempPath(), "gc-lucene-tests", Guid.NewGuid().ToString("N"));
        var id = Guid.NewGuid();
        try
        {
            using (var index = new LuceneProductIndex(path, TimeSpan.FromMinutes(5), NullLogger<LuceneProductIndex>.Instance))
                await index.IndexAsync([Doc("Lamp", price: 12m, revision: 5, id: id)], CancellationToken.None);

            using var reopened = new LuceneProductIndex(path, TimeSpan.FromMinutes(5), NullLogger<LuceneProductIndex>.Instance);
            await reopened.IndexAsync([Doc("Lamp", price: 9m, revision: 4, id: id)], CancellationToken.None);
            var hit = Assert.Single((await reopened.SearchAsync(new SearchRequest { Text = "lamp" }, CancellationToken.None)).Hits);
            Assert.Equal((12m, 5L), (hit.Product.Price, hit.Product.Revision));
        }
        finally
        {
            System.IO.Directory.Delete(path, recursive: true);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\"unbalanced (quote AND OR NOT *?~^ \\ [1 TO 2] {x} title:foo")]
    [InlineData("🙂🙂🙂")]
    public async Task Blank_and_hostile_text_answers_without_error(string text)
    {
        await _index.IndexAsync([Doc("Lamp"), Doc("Kettle")], CancellationToken.None);

        var results = await Search(text);

        Assert.True(results.Total >= 0);
        if (string.IsNullOrWhiteSpace(text))
            Assert.Equal(2, results.Total);
    }

    [Fact]
    public async Task A_very_long_query_is_cut_to_its_first_words_and_answers()
    {
        await _index.IndexAsync([Doc("Lamp")], CancellationToken.None);

        var results = await Search(string.Join(' ', Enumerable.Repeat("lamp", 1250)));

        Assert.Single(results.Hits);
    }

    [Fact]
    public async Task A_rebuild_that_fails_midway_leaves_the_index_as_it_was_and_writable()
    {
        await _index.IndexAsync([Doc("Lamp"), Doc("Kettle")], CancellationToken.None);

        static async IAsyncEnumerable<ProductSearchDocument> Failing()
        {
            yield return Doc("Half a catalog");
            await Task.Yield();
            throw new InvalidOperationException("the catalog went away");
        }

        await Assert.ThrowsAsync<InvalidOperationException>(() => _index.ReplaceAllAsync(Failing(), null, CancellationToken.None));
        Assert.Equal(2, await _index.CountAsync(CancellationToken.None));
        await _index.IndexAsync([Doc("Toaster")], CancellationToken.None);
        Assert.Equal(3, await _index.CountAsync(CancellationToken.None));
        Assert.Empty((await Search("half catalog")).Hits);
    }
}
