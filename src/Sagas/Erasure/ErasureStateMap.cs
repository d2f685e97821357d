using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace GlobalCommerce.Sagas.Erasure;

public sealed class ErasureStateMap : IEntityTypeConfiguration<ErasureState>
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public void Configure(EntityTypeBuilder<ErasureState> entity)
    {
        entity.ToTable("erasure_states");
        entity.HasKey(s => s.CorrelationId);
        entity.Property(s => s.CorrelationId).ValueGeneratedNever();
        entity.Property(s => s.Version).IsConcurrencyToken();
        entity.Property(s => s.CurrentState).HasMaxLength(64);
        entity.Property(s => s.FailureReason).HasMaxLength(500);
        entity.HasIndex(s => s.CurrentState);
        entity.HasIndex(s => s.DeadlineAt);
        entity.HasIndex(s => s.CustomerId);

        entity.Property(s => s.OrderIds).HasConversion(
            ids => JsonSerializer.Serialize(ids, Json),
            json => JsonSerializer.Deserialize<List<Guid>>(json, Json)!,
            new ValueComparer<List<Guid>>((a, b) => a!.SequenceEqual(b!), l => l.Aggregate(0, HashCode.Combine), l => l.ToList()));
        entity.Property(s => s.ConfirmedDomains).HasConversion(
            domains => JsonSerializer.Serialize(domains, Json),
            json => JsonSerializer.Deserialize<List<string>>(json, Json)!,
            new ValueComparer<List<string>>((a, b) => a!.SequenceEqual(b!), l => l.Aggregate(0, (h, x) => HashCode.Combine(h, x)), l => l.ToList()));
    }
}

public sealed class ErasureRequestMap : IEntityTypeConfiguration<ErasureRequest>
{
    public void Configure(EntityTypeBuilder<ErasureRequest> entity)
    {
        entity.ToTable("erasure_requests");
        entity.HasKey(r => r.ErasureId);
        entity.Property(r => r.ErasureId).ValueGeneratedNever();
        entity.HasIndex(r => r.CustomerId).IsUnique();
    }
}
