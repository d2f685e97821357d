using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Consumers.Tests.Persistence;

public class DatabaseInitializerTests
{
    // A product_db made before product images existed: the initializer adds the table, its unique index, and nothing else.
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task A_table_added_to_the_model_later_is_created_in_a_database_that_already_exists(DatabaseProvider provider)
    {
        var options = TestDatabases.For(provider);
        await using var services = new ServiceCollection().AddLogging().AddCatalogDatabase(options).BuildServiceProvider();
        try
        {
            await TestDatabases.CreateAsync(services);
            var productId = Guid.NewGuid();
            await using (var scope = services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
                await db.Database.ExecuteSqlRawAsync("DROP TABLE product_images");
                db.Products.Add(new Product { Id = productId, Sku = "OLD-1", Name = "Kept", Brand = "Lumen", Category = "Home", Description = "", Currency = "EUR" });
                await db.SaveChangesAsync();
            }

            await TestDatabases.CreateAsync(services);

            await using (var scope = services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
                Assert.Equal("Kept", (await db.Products.SingleAsync(p => p.Id == productId)).Name);
                db.Images.Add(Image(productId, position: 0));
                await db.SaveChangesAsync();
                db.Images.Add(Image(productId, position: 0));
                await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
            }
        }
        finally
        {
            await TestDatabases.DropAsync(services, options);
        }
    }

    static ProductImage Image(Guid productId, int position) => new()
    {
        Id = TimeOrderedId.New(), ProductId = productId, BlobName = $"products/{productId}/{Guid.NewGuid()}.png", ContentType = "image/png",
        Width = 1, Height = 1, Length = 1, Sha256 = new string('0', 64), CreatedAt = DateTimeOffset.UtcNow, Position = position,
    };
}
