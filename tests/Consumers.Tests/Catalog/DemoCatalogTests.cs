using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Consumers.Inventory;
using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Consumers.Tests.Catalog;

public class DemoCatalogTests
{
    [Fact]
    public void Demo_catalog_mixes_scarce_and_plentiful_products_in_several_categories()
    {
        var products = DemoCatalog.Products;

        Assert.InRange(products.Count, 30, 40);
        Assert.InRange(products.Select(p => p.Category).Distinct().Count(), 5, 6);
        Assert.Equal(products.Count, products.Select(p => p.Sku).Distinct().Count());
        Assert.True(products.Count(p => p.Stock <= 5) >= 2);
        Assert.Contains(products, p => p.Stock is > 5 and <= 50);
        Assert.Contains(products, p => p.Stock >= 1000);
        Assert.All(products, p => Assert.True(p.Price > 0 && p.Stock > 0 && p.VendorId != Guid.Empty));
    }

    [Fact]
    public void Product_ids_derive_from_the_sku_so_every_install_has_the_same_ids()
    {
        Assert.All(DemoCatalog.Products, p => Assert.Equal(DemoCatalog.ProductId(p.Sku), p.Id));
        Assert.Equal(DemoCatalog.Products.Count, DemoCatalog.Products.Select(p => p.Id).Distinct().Count());
        Assert.NotEqual(DemoCatalog.ProductId("AUD-HP-001"), DemoCatalog.ProductId("AUD-HP-002"));
        Assert.Equal(Guid.Parse(DemoCatalog.ProductId("AUD-HP-001").ToString()), DemoCatalog.ProductId("AUD-HP-001"));
    }

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Seeding_from_racing_hosts_and_again_later_seeds_once(DatabaseProvider provider)
    {
        var options = TestDatabases.For(provider);
        var services = new ServiceCollection().AddCatalogDatabase(options).AddInventoryDatabase(options).BuildServiceProvider();
        await using var _ = services;
        try
        {
            await TestDatabases.CreateAsync(services);

            await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => SeedAsync(services)));
            await SeedAsync(services);

            await using var scope = services.CreateAsyncScope();
            var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
            var inventory = scope.ServiceProvider.GetRequiredService<InventoryDbContext>();
            var products = await catalog.Products.AsNoTracking().ToListAsync();
            var stock = await inventory.StockItems.AsNoTracking().ToDictionaryAsync(s => s.ProductId);
            Assert.Equal(DemoCatalog.Products.Count, products.Count);
            Assert.Equal(DemoCatalog.Products.Count, stock.Count);
            Assert.All(DemoCatalog.Products, demo =>
            {
                var product = Assert.Single(products, p => p.Id == demo.Id);
                Assert.Equal((demo.Sku, demo.Price, "EUR"), (product.Sku, product.Price, product.Currency));
                Assert.Equal((demo.Stock, 0, demo.Stock), (stock[demo.Id].OnHand, stock[demo.Id].Reserved, stock[demo.Id].Available));
            });
        }
        finally
        {
            await TestDatabases.DropAsync(services, options);
        }
    }

    static async Task SeedAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        await DemoCatalog.SeedAsync(
            scope.ServiceProvider.GetRequiredService<CatalogDbContext>(),
            scope.ServiceProvider.GetRequiredService<InventoryDbContext>(),
            CancellationToken.None);
    }
}
