using GlobalCommerce.Platform.Persistence;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Payments;

// The sandbox gateway's own books. It stands for a separate system (Stripe), so it has a database of its own
// (sandbox_gateway), never payments_db: what the payments domain forgets, or loses in a crash, the gateway still holds.
public sealed class SandboxGatewayDbContext(DbContextOptions<SandboxGatewayDbContext> options) : DbContext(options)
{
    public DbSet<SandboxCharge> Charges => Set<SandboxCharge>();

    public DbSet<SandboxRefund> Refunds => Set<SandboxRefund>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var charge = modelBuilder.Entity<SandboxCharge>();
        charge.ToTable("sandbox_charges");
        charge.HasKey(c => c.IdempotencyKey);
        charge.Property(c => c.IdempotencyKey).HasMaxLength(200);
        charge.Property(c => c.Reference).HasMaxLength(64);
        charge.HasIndex(c => c.Reference).IsUnique();
        charge.Property(c => c.DeclineReason).HasMaxLength(64);
        charge.Property(c => c.Amount).HasPrecision(18, 2);
        charge.Property(c => c.Currency).HasMaxLength(3);
        charge.Property(c => c.RefundReference).HasMaxLength(64);
        charge.Property(c => c.RefundIdempotencyKey).HasMaxLength(200);

        var refund = modelBuilder.Entity<SandboxRefund>();
        refund.ToTable("sandbox_refunds");
        refund.HasKey(r => r.IdempotencyKey);
        refund.Property(r => r.IdempotencyKey).HasMaxLength(200);
        refund.Property(r => r.ChargeReference).HasMaxLength(64);
        refund.Property(r => r.Reference).HasMaxLength(64);
        refund.Property(r => r.DeclineReason).HasMaxLength(64);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        configurationBuilder.ApplyProviderConventions(Database);
}

// The first outcome of a charge call, kept under its idempotency key; declines too, as Stripe replays them.
public sealed class SandboxCharge
{
    public required string IdempotencyKey { get; init; }

    public bool Succeeded { get; init; }

    public string? Reference { get; init; }

    public string? DeclineReason { get; init; }

    public decimal Amount { get; init; }

    public required string Currency { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    // Set once, by the one refund that gave the money back.
    public string? RefundReference { get; set; }

    public string? RefundIdempotencyKey { get; set; }

    public GatewayResult Result => new(Succeeded, Reference, DeclineReason);
}

public sealed class SandboxRefund
{
    public required string IdempotencyKey { get; init; }

    public required string ChargeReference { get; init; }

    public bool Succeeded { get; init; }

    public string? Reference { get; init; }

    public string? DeclineReason { get; init; }

    public GatewayResult Result => new(Succeeded, Reference, DeclineReason);
}
