using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Consumers.Tests.Vendors;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static GlobalCommerce.Consumers.Tests.Vendors.InventorySyncHost;

namespace GlobalCommerce.Consumers.Tests.Catalog;

// The "catalog" and "product-cache" consumer groups.
public class ProductOnInventoryUpdatedConsumerTests
{
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Price_and_availability_follow_the_newest_version_and_copies_or_stale_events_change_nothing(DatabaseProvider provider)
    {
        await using var host = await InventorySyncHost.StartAsync(provider);
        var productId = await ProductAsync(host, price: 10m);
        var first = Event(Update(productId, "BER", 3, version: 1, price: 12m));
        var second = Event(Update(productId, "HAM", 2, version: 2, price: 14m));

        await host.ConsumeAsync<ProductOnInventoryUpdatedConsumer, InventoryUpdated>(first, second);
        await host.ConsumeAsync<ProductOnInventoryUpdatedConsumer, InventoryUpdated>(first, second);
        var product = await ReadAsync(host, productId);
        Assert.Equal((14m, 5, true, 2L), (product.Price, product.ReportedStock, product.InStock, product.Version));

        await host.ConsumeAsync<ProductOnInventoryUpdatedConsumer, InventoryUpdated>(Event(Update(productId, "BER", 50, version: 1, price: 99m)));
        product = await ReadAsync(host, productId);
        Assert.Equal((14m, 5), (product.Price, product.ReportedStock));

        await host.ConsumeAsync<ProductOnInventoryUpdatedConsumer, InventoryUpdated>(
            Event(Update(productId, "BER", 0, version: 3, price: 15m)), Event(Update(productId, "HAM", 0, version: 4, price: 16m)));
        product = await ReadAsync(host, productId);
        Assert.Equal((16m, 0, false, 4L), (product.Price, product.ReportedStock, product.InStock, product.Version));
    }

    [Fact]
    public async Task The_cache_group_evicts_changed_products_and_a_copy_older_than_the_change_is_never_cached()
    {
        await using var host = await InventorySyncHost.StartAsync(DatabaseProvider.Sqlite);
        var productId = await ProductAsync(host, price: 10m);
        var cache = host.Services.GetRequiredService<ProductCache>();
        var loads = 0;
        Task<CachedProduct?> LoadAsync(CancellationToken ct)
        {
            loads++;
            return host.QueryAsync<CatalogDbContext, CachedProduct?>(async db => CachedProduct.From(await db.Products.AsNoTracking().SingleAsync(p => p.Id == productId, ct)));
        }

        Assert.Equal(10m, (await cache.GetAsync(productId, LoadAsync, CancellationToken.None))!.Price);
        Assert.Equal(10m, (await cache.GetAsync(productId, LoadAsync, CancellationToken.None))!.Price);
        Assert.Equal(1, loads);

        // The cache group reads the change before the catalog group has applied it: the catalog's row is older than the
        // eviction, so it is served but not kept, and the next read asks the catalog again.
        var update = Event(Update(productId, "BER", 3, version: 1, price: 12m));
        await host.ConsumeAsync<CacheEvictionOnInventoryUpdatedConsumer, InventoryUpdated>(update);
        Assert.Equal(10m, (await cache.GetAsync(productId, LoadAsync, CancellationToken.None))!.Price);
        await host.ConsumeAsync<ProductOnInventoryUpdatedConsumer, InventoryUpdated>(update);
        Assert.Equal(12m, (await cache.GetAsync(productId, LoadAsync, CancellationToken.None))!.Price);
        Assert.Equal(12m, (await cache.GetAsync(productId, LoadAsync, CancellationToken.None))!.Price);
        Assert.Equal(3, loads);

        // A copy of the event read again evicts again; the row is current, so it is cached again at once.
        await host.ConsumeAsync<CacheEvictionOnInventoryUpdatedConsumer, InventoryUpdated>(update);
        Assert.Equal(12m, (await cache.GetAsync(productId, LoadAsync, CancellationToken.None))!.Price);
        Assert.Equal(12m, (await cache.GetAsync(productId, LoadAsync, CancellationToken.None))!.Price);
        Assert.Equal(4, loads);
    }

    static async Task<Guid> ProductAsync(ConsumerTestHost host, decimal price)
    {
        var id = Guid.NewGuid();
        await host.SaveAsync<CatalogDbContext>(new Product
        {
            Id = id, Sku = Sku(id), Name = "Test product", Category = "Test", Description = "", Price = price, Currency = "EUR", VendorId = Vendor,
        });
        return id;
    }

    static Task<Product> ReadAsync(ConsumerTestHost host, Guid productId) =>
        host.QueryAsync<CatalogDbContext, Product>(db => db.Products.AsNoTracking().SingleAsync(p => p.Id == productId));
}
