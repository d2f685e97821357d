using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Platform.Persistence;
using Microsoft.EntityFrameworkCore;
using GlobalCommerce.Platform.Streams;

namespace GlobalCommerce.Consumers.Payments;

// payment_db: one payment per order.
public sealed class PaymentsDbContext(DbContextOptions<PaymentsDbContext> options) : DbContext(options)
{
    public DbSet<Payment> Payments => Set<Payment>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddTransactionalOutbox().AddStreamTables();
        var payment = modelBuilder.Entity<Payment>();
        payment.ToTable("payments");
        payment.HasKey(p => p.OrderId);
        payment.Property(p => p.OrderId).ValueGeneratedNever();
        payment.Property(p => p.Amount).HasPrecision(18, 2);
        payment.Property(p => p.Currency).HasMaxLength(3);
        payment.Property(p => p.Status).HasConversion<string>().HasMaxLength(16);
        payment.Property(p => p.GatewayReference).HasMaxLength(200);
        payment.Property(p => p.DeclineReason).HasMaxLength(200);
        payment.Property(p => p.Version).IsConcurrencyToken();
        payment.HasIndex(p => p.Status);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        configurationBuilder.ApplyProviderConventions(Database);
}
