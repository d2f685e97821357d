using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace GlobalCommerce.Sagas.Orders;

public sealed class OrderRequestMap : IEntityTypeConfiguration<OrderRequest>
{
    public void Configure(EntityTypeBuilder<OrderRequest> entity)
    {
        entity.ToTable("order_requests");
        entity.HasKey(r => r.OrderId);
        entity.Property(r => r.OrderId).ValueGeneratedNever();
        // The client's key (at most 200 characters) prefixed with the customer id: keys are scoped per customer.
        entity.Property(r => r.IdempotencyKey).HasMaxLength(240);
        entity.Property(r => r.RequestHash).HasMaxLength(64);
        entity.HasIndex(r => r.IdempotencyKey).IsUnique();
        entity.HasIndex(r => r.AcceptedAt);
    }
}
