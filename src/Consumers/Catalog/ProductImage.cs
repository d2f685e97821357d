using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Catalog;

// An image of a product as the API stored it: re-encoded, stripped of its metadata, its bytes in the blob store under
// BlobName. The row is written after the blob, so a blob without a row (a crash in between) is harmless garbage that
// nothing serves; a row never points at a blob that was not written.
public class ProductImage
{
    public const string Container = "product-images";

    public Guid Id { get; set; }

    public Guid ProductId { get; set; }

    public required string BlobName { get; set; }

    public required string ContentType { get; set; }

    public int Width { get; set; }

    public int Height { get; set; }

    public long Length { get; set; }

    // Lowercase hex SHA-256 of the stored bytes: the ETag clients revalidate with.
    public required string Sha256 { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    // Display order, 0 first. Unique per product, which also makes two uploads racing for the same slot collide instead
    // of both passing the per-product limit.
    public int Position { get; set; }

    public static string BlobNameOf(Guid productId, Guid imageId, string extension) => $"products/{productId:D}/{imageId:D}.{extension}";

    internal static void Map(ModelBuilder modelBuilder)
    {
        var image = modelBuilder.Entity<ProductImage>();
        image.ToTable("product_images");
        image.HasKey(i => i.Id);
        image.Property(i => i.Id).ValueGeneratedNever();
        image.Property(i => i.BlobName).HasMaxLength(200);
        image.Property(i => i.ContentType).HasMaxLength(50);
        image.Property(i => i.Sha256).HasMaxLength(64);
        // Leads with ProductId: it is also the index every per-product lookup uses.
        image.HasIndex(i => new { i.ProductId, i.Position }).IsUnique();
    }
}

public sealed class ProductImageOptions
{
    public const string Section = "Commerce:Catalog:Images";

    public long MaxBytes { get; set; } = 5 * 1024 * 1024;

    public int MaxPerProduct { get; set; } = 10;

    public int MaxSide { get; set; } = 8000;

    public long MaxPixels { get; set; } = 40_000_000;

    public static ProductImageOptions From(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        var options = new ProductImageOptions();
        Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(configuration.GetSection(Section), options);
        if (options.MaxBytes <= 0 || options.MaxPerProduct <= 0 || options.MaxSide <= 0 || options.MaxPixels <= 0)
            throw new InvalidOperationException($"{Section}: MaxBytes, MaxPerProduct, MaxSide and MaxPixels must be positive.");
        return options;
    }
}
