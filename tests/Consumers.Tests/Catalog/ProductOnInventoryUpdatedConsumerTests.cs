using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Consumers.Tests.Vendors;
using GlobalCommerce.Contracts.Catalog;
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

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task A_change_of_price_or_availability_is_announced_with_the_next_revision_and_a_copy_announces_nothing(DatabaseProvider provider)
    {
        await using var host = await InventorySyncHost.StartAsync(provider);
        var productId = await ProductAsync(host, price: 10m);
        var first = Event(Update(productId, "BER", 3, version: 1, price: 12m));

        await host.ConsumeAsync<ProductOnInventoryUpdatedConsumer, InventoryUpdated>(first);
        await host.ConsumeAsync<ProductOnInventoryUpdatedConsumer, InventoryUpdated>(first);
        // Stock in another warehouse moves nothing a shopper sees: no new revision.
        await host.ConsumeAsync<ProductOnInventoryUpdatedConsumer, InventoryUpdated>(Event(Update(productId, "HAM", 4, version: 2, price: 12m)));
        await host.ConsumeAsync<ProductOnInventoryUpdatedConsumer, InventoryUpdated>(Event(Update(productId, "HAM", 0, version: 3, price: 13m)));

        var announced = await host.QueryAsync<CatalogDbContext, List<ProductChanged>>(db => StreamEvents.ProducedAsync<ProductChanged>(host.Services, db));
        Assert.Equal([(1L, 12m, true), (2L, 13m, true)], announced.Where(e => e.ProductId == productId).Select(e => (e.Revision, e.Price, e.InStock)));
        Assert.Equal(2L, (await ReadAsync(host, productId)).Revision);
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

        // The upload reprices the product; once its announcement reaches the cache group the cached copy is gone.
        await host.ConsumeAsync<ProductOnInventoryUpdatedConsumer, InventoryUpdated>(Event(Update(productId, "BER", 3, version: 1, price: 12m)));
        var changed = Changed(await ReadAsync(host, productId));
        await host.ConsumeAsync<CacheEvictionOnProductChangedConsumer, ProductChanged>(StreamEvents.Event(changed, productId.ToString("N")));
        Assert.Equal(12m, (await cache.GetAsync(productId, LoadAsync, CancellationToken.None))!.Price);
        Assert.Equal(12m, (await cache.GetAsync(productId, LoadAsync, CancellationToken.None))!.Price);
        Assert.Equal(2, loads);

        // A reader that loaded revision 1 just before revision 2 committed finishes after its eviction: its copy is served
        // to it but never kept, and the next read asks the catalog again.
        await host.ConsumeAsync<CacheEvictionOnProductChangedConsumer, ProductChanged>(
            StreamEvents.Event(changed with { Revision = 2, Price = 14m }, productId.ToString("N")));
        var stale = CachedProduct.From(await ReadAsync(host, productId));
        Assert.Equal(12m, (await cache.GetAsync(productId, _ => Task.FromResult<CachedProduct?>(stale), CancellationToken.None))!.Price);
        Assert.Equal(12m, (await cache.GetAsync(productId, LoadAsync, CancellationToken.None))!.Price);
        Assert.Equal(3, loads);

        // A copy of an older announcement read again lowers no fence: revision 2 still is not cached below it.
        await host.ConsumeAsync<CacheEvictionOnProductChangedConsumer, ProductChanged>(StreamEvents.Event(changed, productId.ToString("N")));
        Assert.Equal(12m, (await cache.GetAsync(productId, LoadAsync, CancellationToken.None))!.Price);
        Assert.Equal(4, loads);
    }

    static ProductChanged Changed(Product product) => ProductEvents.Changed(product, [], DateTimeOffset.UtcNow);

    static async Task<Guid> ProductAsync(ConsumerTestHost host, decimal price)
    {
        var id = Guid.NewGuid();
        await host.SaveAsync<CatalogDbContext>(new Product
        {
            Id = id, Sku = Sku(id), Name = "Test product", Brand = "Test", Category = "Test", Description = "", Price = price, Currency = "EUR", VendorId = Vendor,
        });
        return id;
    }

    static Task<Product> ReadAsync(ConsumerTestHost host, Guid productId) =>
        host.QueryAsync<CatalogDbContext, Product>(db => db.Products.AsNoTracking().SingleAsync(p => p.Id == productId));
}
