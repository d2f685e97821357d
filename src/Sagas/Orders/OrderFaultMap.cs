using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace GlobalCommerce.Sagas.Orders;

public sealed class OrderFaultMap : IEntityTypeConfiguration<OrderFault>
{
    public void Configure(EntityTypeBuilder<OrderFault> entity)
    {
        entity.ToTable("order_faults");
        entity.HasKey(f => f.Id);
        entity.Property(f => f.MessageType).HasMaxLength(128);
        entity.Property(f => f.ExceptionType).HasMaxLength(256);
        entity.Property(f => f.Endpoint).HasMaxLength(256);
        // A redelivered Fault<T> is recorded once.
        entity.HasIndex(f => f.FaultId).IsUnique();
        entity.HasIndex(f => new { f.OrderId, f.At });
    }
}
