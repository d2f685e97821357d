using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Vendors;

// vendor_db: vendors' inventory uploads with their reports, the per-SKU version counter, and reorder alerts.
public sealed class VendorDbContext(DbContextOptions<VendorDbContext> options) : DbContext(options)
{
    public DbSet<InventoryUpload> Uploads => Set<InventoryUpload>();

    public DbSet<UploadRejection> UploadRejections => Set<UploadRejection>();

    public DbSet<UploadKey> UploadKeys => Set<UploadKey>();

    public DbSet<SkuVersion> SkuVersions => Set<SkuVersion>();

    public DbSet<ReorderAlert> ReorderAlerts => Set<ReorderAlert>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddStreamTables();

        var upload = modelBuilder.Entity<InventoryUpload>();
        upload.ToTable("inventory_uploads");
        upload.HasKey(u => u.Id);
        upload.Property(u => u.Id).ValueGeneratedNever();
        upload.Property(u => u.Status).HasConversion<string>().HasMaxLength(16);
        upload.Property(u => u.Format).HasConversion<string>().HasMaxLength(16);
        upload.Property(u => u.FailureReason).HasMaxLength(500);
        upload.HasIndex(u => new { u.VendorId, u.ReceivedAt });
        upload.HasIndex(u => u.Status);

        var rejection = modelBuilder.Entity<UploadRejection>();
        rejection.ToTable("upload_rejections");
        rejection.HasKey(r => new { r.UploadId, r.Line });
        rejection.Property(r => r.Code).HasMaxLength(32);
        rejection.Property(r => r.Reason).HasMaxLength(500);
        rejection.Property(r => r.Sku).HasMaxLength(80);
        rejection.Property(r => r.Warehouse).HasMaxLength(80);

        var key = modelBuilder.Entity<UploadKey>();
        key.ToTable("upload_keys");
        key.HasKey(k => new { k.UploadId, k.Key });
        key.Property(k => k.Key).HasMaxLength(129);

        var version = modelBuilder.Entity<SkuVersion>();
        version.ToTable("sku_versions");
        version.HasKey(v => v.Sku);
        version.Property(v => v.Sku).HasMaxLength(64);
        version.Property(v => v.Version).IsConcurrencyToken();

        var alert = modelBuilder.Entity<ReorderAlert>();
        alert.ToTable("reorder_alerts");
        alert.HasKey(a => a.Id);
        alert.Property(a => a.Id).ValueGeneratedNever();
        alert.Property(a => a.Sku).HasMaxLength(64);
        alert.Property(a => a.Warehouse).HasMaxLength(64);
        alert.Property(a => a.Cause).HasMaxLength(32);
        alert.HasIndex(a => new { a.VendorId, a.RaisedAt });
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        configurationBuilder.ApplyProviderConventions(Database);
}
