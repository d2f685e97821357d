using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalCommerce.Api.Tests.Vendors;
using StackExchange.Redis;
using static GlobalCommerce.Api.Tests.Vendors.VendorApi;

namespace GlobalCommerce.Api.Tests.Catalog;

// The catalog's write and read paths on the real servers scripts/test.sh starts: product_db on PostgreSQL, the bus and
// product-events on RabbitMQ (a virtual host of its own, so no other test's hosts share its queues or streams), the
// product and search caches in Redis, images in Azurite. Skipped without them, except on CI where that is a failure.
public sealed class RealServersFactAttribute : FactAttribute
{
    static readonly string[] Variables = ["GC_TEST_POSTGRES", "GC_TEST_RABBITMQ", "GC_TEST_RABBITMQ_CTL", "GC_TEST_REDIS", "GC_TEST_AZURITE"];

    public RealServersFactAttribute()
    {
        var missing = Variables.Where(v => string.IsNullOrEmpty(Environment.GetEnvironmentVariable(v))).ToList();
        if (missing.Count > 0 && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
            Skip = $"{string.Join(", ", missing)} not set: run the suite with scripts/test.sh";
    }
}

public sealed class CatalogOnRealServersTests : IAsyncLifetime
{
    readonly string _virtualHost = "catalog-" + Guid.NewGuid().ToString("N")[..8];
    readonly string _redisPrefix = $"catalog-{Guid.NewGuid():N}:";
    ApiFactory _factory = null!;

    public async Task InitializeAsync()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("GC_TEST_RABBITMQ_CTL")))
            return;
        await CtlAsync("add_vhost", _virtualHost);
        await CtlAsync("set_permissions", "-p", _virtualHost, "guest", ".*", ".*", ".*");
        var rabbit = new UriBuilder(Environment.GetEnvironmentVariable("GC_TEST_RABBITMQ")!) { Path = "/" + _virtualHost }.Uri.ToString();
        _factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["Commerce:DatabaseProvider"] = "Postgres",
            ["Commerce:PostgresConnection"] = Environment.GetEnvironmentVariable("GC_TEST_POSTGRES"),
            ["Commerce:DatabasePrefix"] = "cat" + Guid.NewGuid().ToString("N")[..8] + "_",
            ["Commerce:Transport"] = "RabbitMq",
            ["Commerce:RabbitMqUrl"] = rabbit,
            ["Commerce:Streams:Backend"] = "RabbitMqStreams",
            ["Commerce:Catalog:Cache:Store"] = "Redis",
            ["Commerce:Catalog:Cache:RedisConnection"] = Environment.GetEnvironmentVariable("GC_TEST_REDIS"),
            ["Commerce:Catalog:Cache:RedisKeyPrefix"] = _redisPrefix,
            ["Commerce:Blobs:Store"] = "Azure",
            ["Commerce:Blobs:AzureConnectionString"] = Environment.GetEnvironmentVariable("GC_TEST_AZURITE"),
        });
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
            await _factory.DisposeAsync();
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("GC_TEST_RABBITMQ_CTL")))
            await CtlAsync("delete_vhost", _virtualHost);
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

    static async Task CtlAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("GC_TEST_RABBITMQ_CTL")!, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await error}");
    }
}
