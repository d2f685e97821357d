using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Blobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GlobalCommerce.Consumers.Catalog;

// Announces a product whose images are changing, in the same transaction as the change: the caller has added or removed
// the image rows on db, calls this, then saves. The product gets a new revision whose ProductChanged lists its images in
// display order, so the search index shows them; a concurrent edit of the product makes the save fail (its revision is a
// concurrency token), and the caller tries again.
public interface IProductImageNotifier
{
    Task ImagesChangingAsync(CatalogDbContext db, Guid productId, CancellationToken cancellationToken);
}

public sealed class ProductImageAnnouncer(ProductEvents events) : IProductImageNotifier
{
    public async Task ImagesChangingAsync(CatalogDbContext db, Guid productId, CancellationToken cancellationToken)
    {
        var product = await db.Products.SingleAsync(p => p.Id == productId, cancellationToken);
        var pending = db.ChangeTracker.Entries<ProductImage>().Where(e => e.Entity.ProductId == productId).ToList();
        var removed = pending.Where(e => e.State == EntityState.Deleted).Select(e => e.Entity.Id).ToHashSet();
        var stored = await db.Images.AsNoTracking().Where(i => i.ProductId == productId).Select(i => new { i.Id, i.Position }).ToListAsync(cancellationToken);
        var images = stored.Where(i => !removed.Contains(i.Id))
            .Concat(pending.Where(e => e.State == EntityState.Added).Select(e => new { e.Entity.Id, e.Entity.Position }))
            .OrderBy(i => i.Position).Select(i => i.Id).Distinct().ToList();
        events.Enlist(db);
        await events.AnnounceAsync(product, images, cancellationToken);
    }
}

public static class ProductImageRegistration
{
    public static IServiceCollection AddProductImages(this IServiceCollection services, IConfiguration configuration, CommerceOptions options)
    {
        services.AddBlobStore(configuration, options);
        services.TryAddSingleton(ProductImageOptions.From(configuration));
        services.TryAddScoped<IProductImageNotifier, ProductImageAnnouncer>();
        return services;
    }
}
