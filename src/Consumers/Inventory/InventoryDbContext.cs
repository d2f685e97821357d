using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Platform.Persistence;
using Microsoft.EntityFrameworkCore;
using GlobalCommerce.Platform.Streams;

namespace GlobalCommerce.Consumers.Inventory;

// inventory_db: stock per product and the allocations held against it.
public sealed class InventoryDbContext(DbContextOptions<InventoryDbContext> options) : DbContext(options)
{
    public DbSet<StockItem> StockItems => Set<StockItem>();

    public DbSet<Allocation> Allocations => Set<Allocation>();

    public DbSet<AllocationLine> AllocationLines => Set<AllocationLine>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddTransactionalOutbox().AddStreamTables();
        var stock = modelBuilder.Entity<StockItem>();
        // The database itself refuses an oversell, whatever code path writes the row.
        stock.ToTable("stock_items", t => t.HasCheckConstraint("ck_stock_items_reserved_within_on_hand",
            "\"Reserved\" >= 0 AND \"Reserved\" <= \"OnHand\""));
        stock.HasKey(s => s.ProductId);
        stock.Property(s => s.ProductId).ValueGeneratedNever();
        stock.Property(s => s.Available).HasComputedColumnSql("\"OnHand\" - \"Reserved\"", stored: true);

        var allocation = modelBuilder.Entity<Allocation>();
        allocation.ToTable("allocations");
        allocation.HasKey(a => a.OrderId);
        allocation.Property(a => a.OrderId).ValueGeneratedNever();
        allocation.Property(a => a.Status).HasConversion<string>().HasMaxLength(16);
        allocation.Property(a => a.Reason).HasMaxLength(500);
        allocation.HasMany(a => a.Lines).WithOne().HasForeignKey(l => l.OrderId).OnDelete(DeleteBehavior.Cascade);

        var line = modelBuilder.Entity<AllocationLine>();
        line.ToTable("allocation_lines");
        line.HasKey(l => new { l.OrderId, l.ProductId });
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        configurationBuilder.ApplyProviderConventions(Database);
}
