using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Catalog;

// product_db: what shoppers browse. Stock lives in the inventory database, joined by product id in the API.
public sealed class CatalogDbContext(DbContextOptions<CatalogDbContext> options) : DbContext(options)
{
    public DbSet<Product> Products => Set<Product>();

    public DbSet<ProductStockLevel> StockLevels => Set<ProductStockLevel>();

    public DbSet<ProductImage> Images => Set<ProductImage>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddStreamTables();
        var product = modelBuilder.Entity<Product>();
        product.ToTable("products");
        product.HasKey(p => p.Id);
        product.Property(p => p.Id).ValueGeneratedNever();
        product.Property(p => p.Sku).HasMaxLength(64);
        product.HasIndex(p => p.Sku).IsUnique();
        product.Property(p => p.Name).HasMaxLength(200);
        product.Property(p => p.Brand).HasMaxLength(100);
        product.Property(p => p.Category).HasMaxLength(100);
        product.HasIndex(p => p.Category);
        product.Property(p => p.Description).HasMaxLength(2000);
        product.Property(p => p.Price).HasPrecision(18, 2);
        product.Property(p => p.Currency).HasMaxLength(3);
        product.HasIndex(p => p.VendorId);
        // Two writers of one product (an edit and an upload's repricing) cannot both take the next revision.
        product.Property(p => p.Revision).IsConcurrencyToken();

        var level = modelBuilder.Entity<ProductStockLevel>();
        level.ToTable("product_stock_levels");
        level.HasKey(l => new { l.ProductId, l.Warehouse });
        level.Property(l => l.Warehouse).HasMaxLength(64);

        ProductImage.Map(modelBuilder);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        configurationBuilder.ApplyProviderConventions(Database);
}
