using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Inventory;

// inventory_db: stock per product and per warehouse, and the allocations held against it.
public sealed class InventoryDbContext(DbContextOptions<InventoryDbContext> options) : DbContext(options)
{
    public DbSet<StockItem> StockItems => Set<StockItem>();

    public DbSet<Allocation> Allocations => Set<Allocation>();

    public DbSet<AllocationLine> AllocationLines => Set<AllocationLine>();

    public DbSet<WarehouseStock> WarehouseStocks => Set<WarehouseStock>();

    public DbSet<AllocationPick> AllocationPicks => Set<AllocationPick>();

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

        var warehouse = modelBuilder.Entity<WarehouseStock>();
        warehouse.ToTable("warehouse_stock", t => t.HasCheckConstraint("ck_warehouse_stock_quantity", "\"Quantity\" >= 0"));
        warehouse.HasKey(w => new { w.ProductId, w.Warehouse });
        warehouse.Property(w => w.Warehouse).HasMaxLength(64);
        warehouse.Property(w => w.Sku).HasMaxLength(64);

        var pick = modelBuilder.Entity<AllocationPick>();
        pick.ToTable("allocation_picks");
        pick.HasKey(p => new { p.OrderId, p.ProductId, p.Warehouse });
        pick.Property(p => p.Warehouse).HasMaxLength(64);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        configurationBuilder.ApplyProviderConventions(Database);
}
