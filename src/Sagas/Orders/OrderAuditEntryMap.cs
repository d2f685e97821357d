using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace GlobalCommerce.Sagas.Orders;

public sealed class OrderAuditEntryMap : IEntityTypeConfiguration<OrderAuditEntry>
{
    public void Configure(EntityTypeBuilder<OrderAuditEntry> entity)
    {
        entity.ToTable("order_audit");
        entity.HasKey(a => a.Id);
        entity.Property(a => a.Actor).HasMaxLength(320);
        entity.Property(a => a.Role).HasMaxLength(32);
        entity.Property(a => a.Action).HasMaxLength(32);
        entity.Property(a => a.Reason).HasMaxLength(500);
        entity.Property(a => a.Outcome).HasMaxLength(500);
        entity.HasIndex(a => new { a.OrderId, a.Id });
    }
}
