using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalCommerce.Api.Tests.Vendors;
using StackExchange.Redis;
using static GlobalCommerce.Api.Tests.Vendors.VendorApi;

namespace GlobalCommerce.Api.Tests.Catalog;

// The catalog's write and read paths on the real servers, down to what lands in them: the product's key in Redis and the
// image served from Azurite. The behaviour tests (CatalogSearchTests) run on these servers too.
public sealed class CatalogOnRealServersTests : IAsyncLifetime
{
    CatalogHost? _host;
    ApiFactory _factory = null!;
    string _redisPrefix = null!;

    public async Task InitializeAsync()
    {
        if (!CatalogHost.RealServersConfigured)
            return;
        _host = await CatalogHost.StartAsync(CatalogMode.RealServers);
        (_factory, _redisPrefix) = (_host.Factory, _host.RedisPrefix!);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
            await _host.DisposeAsync();
    }

    [RealServersFact]
    public async Task A_new_product_is_found_misspelt_its_price_change_reaches_search_and_the_redis_cache_and_its_image_is_served_from_azurite()
    {
        var vendor = await _factory.DemoVendorAsync();
        var anonymous = _factory.CreateClient();
        var sku = "RS-" + Guid.NewGuid().ToString("N")[..10].ToUpperInvariant();
        object Product(decimal price) => new { sku, name = "Quillon Carbon Trekking Poles", brand = "Ridgeway", category = "Outdoors", description = "", price };

        var created = await vendor.PostAsJsonAsync("/api/products", Product(89m));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await EventuallyAsync(() => anonymous.GetFromJsonAsync<JsonElement>("/api/search?q=quilon%20trekking"), r => r.GetProperty("total").GetInt64() == 1);

        // Read once so Redis holds the product, then change it: the cached copy must not outlive the change's event.
        Assert.Equal(89m, (await anonymous.GetFromJsonAsync<JsonElement>($"/api/products/{id}")).GetProperty("price").GetDecimal());
        var redis = await ConnectionMultiplexer.ConnectAsync(Environment.GetEnvironmentVariable("GC_TEST_REDIS")!);
        await using (redis)
            Assert.True(await redis.GetDatabase().KeyExistsAsync($"{_redisPrefix}product:{id:N}"));
        Assert.Equal(HttpStatusCode.OK, (await vendor.PutAsJsonAsync($"/api/products/{id}", Product(79m))).StatusCode);
        await EventuallyAsync(() => anonymous.GetFromJsonAsync<JsonElement>($"/api/products/{id}"), p => p.GetProperty("price").GetDecimal() == 79m);
        await EventuallyAsync(() => anonymous.GetFromJsonAsync<JsonElement>("/api/search?q=quillon"),
            r => r.GetProperty("items").EnumerateArray().Single().GetProperty("price").GetDecimal() == 79m);

        var image = await ProductImageApi.UploadedAsync(await vendor.UploadImageAsync(id, TestImages.Png(), "image/png"));
        var found = await EventuallyAsync(() => anonymous.GetFromJsonAsync<JsonElement>("/api/search?q=quillon"),
            r => r.GetProperty("items").EnumerateArray().Single().GetProperty("images").GetArrayLength() == 1);
        var served = await anonymous.GetAsync(found.GetProperty("items")[0].GetProperty("images")[0].GetString());
        Assert.Equal((HttpStatusCode.OK, "image/png"), (served.StatusCode, served.Content.Headers.ContentType?.MediaType));
        Assert.Equal(image.GetProperty("id").GetGuid().ToString(), found.GetProperty("items")[0].GetProperty("images")[0].GetString()!.Split('/')[^1]);
    }
}
