using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace GlobalCommerce.Sagas.Orders;

public sealed class OrderTransitionMap : IEntityTypeConfiguration<OrderTransition>
{
    public void Configure(EntityTypeBuilder<OrderTransition> entity)
    {
        entity.ToTable("order_transitions");
        entity.HasKey(t => t.Id);
        entity.Property(t => t.From).HasMaxLength(64);
        entity.Property(t => t.To).HasMaxLength(64);
        entity.Property(t => t.Event).HasMaxLength(128);
        entity.HasIndex(t => new { t.OrderId, t.Id });
    }
}
