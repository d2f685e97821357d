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
