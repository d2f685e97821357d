using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Platform.Persistence;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Shipping;

// shipping_db: at most one shipment per order.
public sealed class ShippingDbContext(DbContextOptions<ShippingDbContext> options) : DbContext(options)
{
    public DbSet<Shipment> Shipments => Set<Shipment>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddTransactionalOutbox();
        var shipment = modelBuilder.Entity<Shipment>();
        shipment.ToTable("shipments");
        shipment.HasKey(s => s.OrderId);
        shipment.Property(s => s.OrderId).ValueGeneratedNever();
        shipment.Property(s => s.Status).HasConversion<string>().HasMaxLength(16);
        shipment.Property(s => s.Carrier).HasMaxLength(32);
        shipment.Property(s => s.TrackingNumber).HasMaxLength(32);
        shipment.HasIndex(s => s.TrackingNumber).IsUnique();
        shipment.Property(s => s.RecipientName).HasMaxLength(200);
        shipment.Property(s => s.Line1).HasMaxLength(200);
        shipment.Property(s => s.Line2).HasMaxLength(200);
        shipment.Property(s => s.City).HasMaxLength(100);
        shipment.Property(s => s.PostalCode).HasMaxLength(20);
        shipment.Property(s => s.Country).HasMaxLength(2);
        shipment.Property(s => s.CancellationReason).HasMaxLength(500);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        configurationBuilder.ApplyProviderConventions(Database);
}
