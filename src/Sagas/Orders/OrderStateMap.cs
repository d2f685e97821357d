using System.Text.Json;
using GlobalCommerce.Contracts.Orders;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace GlobalCommerce.Sagas.Orders;

public sealed class OrderStateMap : IEntityTypeConfiguration<OrderState>
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public void Configure(EntityTypeBuilder<OrderState> entity)
    {
        entity.ToTable("order_states");
        entity.HasKey(s => s.CorrelationId);
        entity.Property(s => s.CorrelationId).ValueGeneratedNever();
        entity.Property(s => s.Version).IsConcurrencyToken();
        entity.Property(s => s.CurrentState).HasMaxLength(64);
        entity.Property(s => s.Currency).HasMaxLength(3);
        entity.Property(s => s.PaymentToken).HasMaxLength(200);
        entity.Property(s => s.Total).HasPrecision(18, 2);
        entity.HasIndex(s => s.CurrentState);
        entity.HasIndex(s => s.DeadlineAt);
        entity.HasIndex(s => s.CustomerId);
        entity.Property(s => s.CustomerEmail).HasMaxLength(320);
        entity.HasIndex(s => s.CustomerEmail);
        entity.HasIndex(s => s.PaymentReference);
        entity.HasIndex(s => s.TrackingNumber);
        entity.HasIndex(s => s.UpdatedAt);

        entity.Property(s => s.Lines).HasConversion(
            lines => JsonSerializer.Serialize(lines, Json),
            json => JsonSerializer.Deserialize<List<OrderLine>>(json, Json)!,
            new ValueComparer<List<OrderLine>>((a, b) => a!.SequenceEqual(b!), l => l.Aggregate(0, (h, x) => HashCode.Combine(h, x)), l => l.ToList()));
        entity.Property(s => s.ShippingAddress).HasConversion(
            address => JsonSerializer.Serialize(address, Json),
            json => JsonSerializer.Deserialize<ShippingAddress>(json, Json)!);

        entity.HasMany(s => s.History).WithOne().HasForeignKey(t => t.OrderId);
    }
}
