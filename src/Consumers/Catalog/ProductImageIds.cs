using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Catalog;

// The image ids a product's announcement carries, in display order.
public static class ProductImageIds
{
    public static async Task<Dictionary<Guid, IReadOnlyList<Guid>>> OfAsync(CatalogDbContext db, IReadOnlyList<Guid> productIds,
        CancellationToken cancellationToken)
    {
        var rows = await db.Images.AsNoTracking().Where(i => productIds.Contains(i.ProductId)).OrderBy(i => i.Position)
            .Select(i => new { i.ProductId, i.Id }).ToListAsync(cancellationToken);
        return rows.GroupBy(r => r.ProductId).ToDictionary(g => g.Key, g => (IReadOnlyList<Guid>)[.. g.Select(r => r.Id)]);
    }
}
