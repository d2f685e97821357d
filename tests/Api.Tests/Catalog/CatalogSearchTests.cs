using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalCommerce.Api.Tests.Vendors;
using GlobalCommerce.Contracts.Streams;
using GlobalCommerce.Platform.Streams;
using Microsoft.Extensions.DependencyInjection;
using static GlobalCommerce.Api.Tests.Vendors.VendorApi;

namespace GlobalCommerce.Api.Tests.Catalog;

// Flow 2, on the embedded default and on the real servers (CatalogModes): a vendor's product change → product_db and its
// ProductChanged → product-events → the search host's index and the caches; shoppers search and read.
public sealed class CatalogSearchTests
{
    static object NewProduct(string sku, string name, decimal price, string brand = "Sonora", string category = "Audio") =>
        new { sku, name, brand, category, description = "Made for the tests", price };

    static string Sku() => "TST-" + Guid.NewGuid().ToString("N")[..10].ToUpperInvariant();

    static Task<JsonElement> SearchAsync(HttpClient client, string query) => client.GetFromJsonAsync<JsonElement>("/api/search?" + query);

    static IEnumerable<JsonElement> Items(JsonElement results) => results.GetProperty("items").EnumerateArray();

    [Theory]
    [CatalogModes]
    public async Task A_product_a_vendor_adds_is_found_by_a_misspelt_search_and_its_new_price_shows_in_search_and_detail_once_announced(CatalogMode mode)
    {
        await using var host = await CatalogHost.StartAsync(mode);
        var factory = host.Factory;
        var vendor = await factory.DemoVendorAsync();
        var anonymous = factory.CreateClient();
        var sku = Sku();

        var created = await vendor.PostAsJsonAsync("/api/products", NewProduct(sku, "Zephyrine Studio Monitor Headphones", 129.90m));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("\"1\"", created.Headers.ETag?.Tag);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Assert.Equal($"/api/products/{id}", created.Headers.Location?.OriginalString);

        var found = await EventuallyAsync(() => SearchAsync(anonymous, "q=zephyrin%20hedphones"), r => r.GetProperty("total").GetInt64() == 1);
        var item = Assert.Single(Items(found));
        Assert.Equal((id, 129.90m, "Sonora", 0), (item.GetProperty("id").GetGuid(), item.GetProperty("price").GetDecimal(),
            item.GetProperty("brand").GetString(), item.GetProperty("available").GetInt32()));
        Assert.Equal(129.90m, (await anonymous.GetFromJsonAsync<JsonElement>($"/api/products/{id}")).GetProperty("price").GetDecimal());
        // Each search is a fact on analytics-events: the words, the result count, an anonymous shopper.
        var searched = await EventuallyAsync(() => factory.StreamEventsAsync<SearchPerformed>(StreamNames.AnalyticsEvents),
            events => events.Any(e => e.Query == "zephyrin hedphones" && e.ResultCount == 1));
        Assert.All(searched.Where(e => e.Query == "zephyrin hedphones"), e => Assert.Null(e.UserId));

        using var edit = new HttpRequestMessage(HttpMethod.Put, $"/api/products/{id}")
        {
            Content = JsonContent.Create(NewProduct(sku, "Zephyrine Studio Monitor Headphones", 99.00m)),
        };
        edit.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));
        var edited = await vendor.SendAsync(edit);
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        Assert.Equal("\"2\"", edited.Headers.ETag?.Tag);

        // Search (with its results cache) and the product (with its cache) both follow the announcement.
        await EventuallyAsync(() => SearchAsync(anonymous, "q=zephyrine"), r => Items(r).Single().GetProperty("price").GetDecimal() == 99.00m);
        await EventuallyAsync(() => anonymous.GetFromJsonAsync<JsonElement>($"/api/products/{id}"), p => p.GetProperty("price").GetDecimal() == 99.00m);
        await EventuallyAsync(() => SearchAsync(anonymous, "q=zephyrine&maxPrice=100"), r => r.GetProperty("total").GetInt64() == 1);
    }

    [Theory]
    [CatalogModes]
    public async Task Writes_are_checked_repeats_are_harmless_and_only_the_owner_or_an_admin_edits(CatalogMode mode)
    {
        await using var host = await CatalogHost.StartAsync(mode);
        var factory = host.Factory;
        var vendor = await factory.DemoVendorAsync();
        var sku = Sku();
        var product = NewProduct(sku, "Quiet Desk Fan", 39m, brand: "Hearth & Co", category: "Home & Kitchen");

        var first = await vendor.PostAsJsonAsync("/api/products", product);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var id = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var again = await vendor.PostAsJsonAsync("/api/products", product);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(id, (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
        await ProblemAsync(await vendor.PostAsJsonAsync("/api/products", NewProduct(sku, "Another Fan", 39m)), HttpStatusCode.Conflict, "sku-taken");

        var invalid = await ProblemAsync(await vendor.PostAsJsonAsync("/api/products", new { sku = "lower case", name = "", price = -1m }),
            HttpStatusCode.BadRequest, "validation-failed");
        var fields = invalid.GetProperty("errors").EnumerateObject().Select(e => e.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "sku", "name", "brand", "category", "price" }, fields);

        Assert.Equal(HttpStatusCode.Unauthorized, (await factory.CreateClient().PostAsJsonAsync("/api/products", product)).StatusCode);
        var shopper = await factory.CreateShopperClientAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await shopper.PostAsJsonAsync("/api/products", product)).StatusCode);

        var (other, _, _) = await factory.OtherVendorAsync();
        await ProblemAsync(await other.PutAsJsonAsync($"/api/products/{id}", NewProduct(sku, "Quiet Desk Fan", 1m)), HttpStatusCode.NotFound, "not-found");
        var admin = await factory.CreateClientAsAsync("admin@demo.local");
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/products/{id}", NewProduct(sku, "Quiet Desk Fan Pro", 45m, brand: "Hearth & Co", category: "Home & Kitchen"))).StatusCode);

        // An edit against a revision the product has left is refused; one that changes nothing keeps the revision.
        using var stale = new HttpRequestMessage(HttpMethod.Put, $"/api/products/{id}") { Content = JsonContent.Create(NewProduct(sku, "Quiet Desk Fan", 1m)) };
        stale.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));
        await ProblemAsync(await vendor.SendAsync(stale), HttpStatusCode.PreconditionFailed, "precondition-failed");
        var unchanged = await vendor.PutAsJsonAsync($"/api/products/{id}", NewProduct(sku, "Quiet Desk Fan Pro", 45m, brand: "Hearth & Co", category: "Home & Kitchen"));
        Assert.Equal("\"2\"", unchanged.Headers.ETag?.Tag);
    }

    [Theory]
    [CatalogModes]
    public async Task Search_filters_facets_and_pages_over_http_and_bad_input_gets_a_problem_never_a_500(CatalogMode mode)
    {
        await using var host = await CatalogHost.StartAsync(mode);
        var factory = host.Factory;
        var client = factory.CreateClient();
        // The demo catalog reaches the index through its announcements.
        var all = await EventuallyAsync(() => SearchAsync(client, "size=5"), r => r.GetProperty("total").GetInt64() >= 36);

        var audio = await SearchAsync(client, "category=Audio&brand=Sonora&size=2");
        Assert.All(Items(audio), i => Assert.Equal(("Audio", "Sonora"), (i.GetProperty("category").GetString(), i.GetProperty("brand").GetString())));
        var categories = audio.GetProperty("facets").GetProperty("category").EnumerateArray().Select(v => v.GetProperty("value").GetString()).ToList();
        Assert.Contains("Audio", categories);
        var brands = audio.GetProperty("facets").GetProperty("brand").EnumerateArray().Select(v => v.GetProperty("value").GetString()).ToList();
        Assert.Contains("Fjordline", brands);

        var ids = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await SearchAsync(client, "sort=price_asc&size=7" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            ids.AddRange(Items(page).Select(i => i.GetProperty("id").GetGuid()));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        Assert.Equal(all.GetProperty("total").GetInt64(), ids.Distinct().Count());

        await ProblemAsync(await client.GetAsync("/api/search?q=" + new string('x', 5000)), HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAsync(await client.GetAsync("/api/search?q=lamp&cursor=bm90LWEtY3Vyc29y"), HttpStatusCode.BadRequest, "invalid-cursor");
        await ProblemAsync(await client.GetAsync("/api/search?sort=cheapest&size=0&minPrice=9&maxPrice=1&inStock=maybe"), HttpStatusCode.BadRequest,
            "validation-failed");
        foreach (var hostile in new[] { "\"(unbalanced AND OR *?~^ [1 TO 2] title:x", "<script>alert(1)</script>", "' OR 1=1 --", "\u0000\u0001" })
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/search?q=" + Uri.EscapeDataString(hostile))).StatusCode);
    }

    [Theory]
    [CatalogModes]
    public async Task The_product_list_comes_in_pages_each_naming_the_next_until_the_catalog_ends(CatalogMode mode)
    {
        await using var host = await CatalogHost.StartAsync(mode);
        var client = host.Factory.CreateClient();
        var whole = (await client.GetFromJsonAsync<JsonElement[]>("/api/products?limit=500"))!.Select(p => p.GetProperty("id").GetGuid()).ToList();
        Assert.True(whole.Count >= 36);

        async Task<List<JsonElement>> WalkAsync(string first)
        {
            var items = new List<JsonElement>();
            for (var next = first; next is not null;)
            {
                var page = await client.GetAsync(next);
                Assert.Equal(HttpStatusCode.OK, page.StatusCode);
                items.AddRange((await page.Content.ReadFromJsonAsync<JsonElement[]>())!);
                next = page.Headers.TryGetValues("Link", out var links)
                    ? System.Text.RegularExpressions.Regex.Match(links.Single(), "^<([^>]+)>; rel=\"next\"$").Groups[1].Value
                    : null;
            }

            return items;
        }

        // Pages of 7 give the whole catalog in its order, no product twice, none missing.
        Assert.Equal(whole, (await WalkAsync("/api/products?limit=7")).Select(p => p.GetProperty("id").GetGuid()));
        var audio = await WalkAsync("/api/products?category=Audio&limit=2");
        Assert.True(audio.Count >= 6);
        Assert.All(audio, p => Assert.Equal("Audio", p.GetProperty("category").GetString()));
        Assert.Equal(audio.Count, audio.Select(p => p.GetProperty("id").GetGuid()).Distinct().Count());

        await ProblemAsync(await client.GetAsync("/api/products?limit=0"), HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAsync(await client.GetAsync("/api/products?limit=501"), HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAsync(await client.GetAsync("/api/products?after=bm90LWEtcG9zaXRpb24"), HttpStatusCode.BadRequest, "validation-failed");
    }

    [Theory]
    [CatalogModes]
    public async Task Catalog_reads_answer_etags_with_304_gzip_above_a_kilobyte_and_only_the_fields_asked_for(CatalogMode mode)
    {
        await using var host = await CatalogHost.StartAsync(mode);
        var factory = host.Factory;
        var client = factory.CreateClient();
        var plain = await client.GetAsync("/api/products");
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        var tag = plain.Headers.ETag!;
        var plainBody = await plain.Content.ReadAsByteArrayAsync();
        Assert.True(plainBody.Length > 1024);
        Assert.Empty(plain.Content.Headers.ContentEncoding);
        Assert.Equal("no-cache", plain.Headers.CacheControl?.ToString());

        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/api/products");
        conditional.Headers.IfNoneMatch.Add(tag);
        var notModified = await client.SendAsync(conditional);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());

        using var zipped = new HttpRequestMessage(HttpMethod.Get, "/api/products");
        zipped.Headers.AcceptEncoding.ParseAdd("gzip");
        var gzip = await client.SendAsync(zipped);
        Assert.Equal(["gzip"], gzip.Content.Headers.ContentEncoding);
        var compressed = await gzip.Content.ReadAsByteArrayAsync();
        Assert.True(compressed.Length < plainBody.Length / 2, $"{compressed.Length} of {plainBody.Length} bytes");
        await using (var inflate = new System.IO.Compression.GZipStream(new MemoryStream(compressed), System.IO.Compression.CompressionMode.Decompress))
        {
            using var inflated = new MemoryStream();
            await inflate.CopyToAsync(inflated);
            Assert.Equal(plainBody, inflated.ToArray());
        }

        // The gzip representation's tag revalidates too.
        using var zippedAgain = new HttpRequestMessage(HttpMethod.Get, "/api/products");
        zippedAgain.Headers.AcceptEncoding.ParseAdd("gzip");
        zippedAgain.Headers.IfNoneMatch.Add(gzip.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(zippedAgain)).StatusCode);

        var id = JsonDocument.Parse(plainBody).RootElement[0].GetProperty("id").GetGuid();
        var small = await client.GetAsync($"/api/products/{id}?fields=id,Name");
        Assert.Empty(small.Content.Headers.ContentEncoding);
        var projected = await small.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["id", "name"], projected.EnumerateObject().Select(p => p.Name));

        var search = await EventuallyAsync(() => SearchAsync(client, "q=speaker&fields=id,price"), r => r.GetProperty("total").GetInt64() > 0);
        Assert.All(Items(search), item => Assert.Equal(["id", "price"], item.EnumerateObject().Select(p => p.Name)));

        await ProblemAsync(await client.GetAsync($"/api/products/{id}?fields=id,secret"), HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAsync(await client.GetAsync("/api/products?fields=,,,"), HttpStatusCode.BadRequest, "validation-failed");
    }

    [Theory]
    [CatalogModes]
    public async Task An_uploaded_image_reaches_the_search_results_and_leaves_them_when_deleted(CatalogMode mode)
    {
        await using var host = await CatalogHost.StartAsync(mode);
        var factory = host.Factory;
        var vendor = await factory.DemoVendorAsync();
        var anonymous = factory.CreateClient();
        var created = await vendor.PostAsJsonAsync("/api/products", NewProduct(Sku(), "Orrery Brass Desk Clock", 79m, brand: "Copperleaf", category: "Home & Kitchen"));
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        var image = await ProductImageApi.UploadedAsync(await vendor.UploadImageAsync(id, TestImages.Png(), "image/png"));
        var imageId = image.GetProperty("id").GetGuid();

        var found = await EventuallyAsync(() => SearchAsync(anonymous, "q=orrery"),
            r => Items(r).SingleOrDefault() is { ValueKind: JsonValueKind.Object } item && item.GetProperty("images").GetArrayLength() == 1);
        var url = Items(found).Single().GetProperty("images")[0].GetString();
        Assert.Equal($"/api/products/{id}/images/{imageId}", url);
        var served = await anonymous.GetAsync(url);
        Assert.Equal(("image/png", HttpStatusCode.OK), (served.Content.Headers.ContentType?.MediaType, served.StatusCode));

        Assert.Equal(HttpStatusCode.NoContent, (await vendor.DeleteAsync($"/api/products/{id}/images/{imageId}")).StatusCode);
        await EventuallyAsync(() => SearchAsync(anonymous, "q=orrery"), r => Items(r).Single().GetProperty("images").GetArrayLength() == 0);
    }

    [Theory]
    [CatalogModes]
    public async Task Categories_list_with_counts_and_an_admin_clears_the_caches_by_hand(CatalogMode mode)
    {
        await using var host = await CatalogHost.StartAsync(mode);
        var factory = host.Factory;
        var anonymous = factory.CreateClient();
        var categories = await EventuallyAsync(() => anonymous.GetFromJsonAsync<JsonElement>("/api/categories"),
            c => c.EnumerateArray().Sum(v => v.GetProperty("count").GetInt64()) >= 36);
        Assert.Contains(categories.EnumerateArray(), v => v.GetProperty("value").GetString() == "Audio" && v.GetProperty("count").GetInt64() >= 6);

        var products = await anonymous.GetFromJsonAsync<JsonElement>("/api/products");
        var id = products[0].GetProperty("id").GetGuid();
        await anonymous.GetFromJsonAsync<JsonElement>($"/api/products/{id}");
        var store = factory.Services.GetRequiredService<GlobalCommerce.Consumers.Catalog.IProductCacheStore>();
        Assert.NotNull((await store.GetProductAsync(id, CancellationToken.None)).Entry);

        var shopper = await factory.CreateShopperClientAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await shopper.PostAsync("/api/admin/cache/clear", null)).StatusCode);
        var admin = await factory.CreateClientAsAsync("admin@demo.local");
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/admin/cache/clear", null)).StatusCode);
        Assert.Null((await store.GetProductAsync(id, CancellationToken.None)).Entry);
        Assert.Equal(id, (await anonymous.GetFromJsonAsync<JsonElement>($"/api/products/{id}")).GetProperty("id").GetGuid());
    }
}
