using System.Security.Cryptography;
using System.Text;
using GlobalCommerce.Consumers.Inventory;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Catalog;

public sealed record DemoProduct(Guid Id, string Sku, string Name, string Brand, string Category, string Description, decimal Price, Guid VendorId, int Stock);

// The catalog every fresh install starts with. Ids are derived from the SKU so that links, tests and
// bookmarks stay valid across installs; stock mixes scarce items (to show sell-outs) with plentiful ones.
public static class DemoCatalog
{
    public const string Currency = "EUR";

    // The demo vendor account (vendor@demo.local, seeded with this id) owns every demo product, so that it can upload
    // inventory for them.
    public static readonly Guid DemoVendorId = DeterministicId("vendor/demo");

    public static IReadOnlyList<DemoProduct> Products { get; } =
    [
        P("AUD-HP-001", "Aurora ANC Over-Ear Headphones", "Audio", 249.00m, 180, "Adaptive noise cancelling, 40-hour battery and a fold-flat travel case."),
        P("AUD-EB-002", "Pulse True Wireless Earbuds", "Audio", 89.90m, 1500, "Sweat-resistant earbuds with a pocket-sized charging case."),
        P("AUD-SP-003", "Fjord Portable Bluetooth Speaker", "Audio", 129.00m, 420, "Waterproof (IP67) speaker with 360° sound and 20 hours of play."),
        P("AUD-TT-004", "Vinyl Classic Turntable", "Audio", 349.00m, 25, "Belt-driven turntable with a built-in phono preamp and walnut plinth."),
        P("AUD-SB-005", "Cinema 5.1 Soundbar", "Audio", 599.00m, 40, "Dolby Atmos soundbar with a wireless subwoofer and HDMI eARC."),
        P("AUD-MC-006", "Studio USB Condenser Microphone", "Audio", 149.00m, 3, "Cardioid condenser microphone for podcasts and home recording."),

        P("CMP-LT-001", "Helix 14 Ultrabook", "Computing", 1299.00m, 12, "14-inch OLED laptop, 32 GB RAM, 1 TB SSD, 1.2 kg."),
        P("CMP-MN-002", "Vista 27\" 4K Monitor", "Computing", 429.00m, 60, "27-inch IPS panel with USB-C power delivery and a height-adjustable stand."),
        P("CMP-KB-003", "Tactile Mechanical Keyboard", "Computing", 119.00m, 800, "Hot-swappable switches, aluminium frame, German ISO layout."),
        P("CMP-MS-004", "Glide Wireless Mouse", "Computing", 39.90m, 2500, "Ergonomic mouse with silent clicks and a 70-day battery."),
        P("CMP-SSD-005", "Rapid 2 TB NVMe SSD", "Computing", 159.00m, 1200, "PCIe 4.0 drive with read speeds up to 7,000 MB/s."),
        P("CMP-GPU-006", "Titan RX Graphics Card", "Computing", 899.00m, 2, "16 GB graphics card for 4K gaming and GPU compute."),

        P("HOM-ESP-001", "Barista Pro Espresso Machine", "Home & Kitchen", 699.00m, 18, "Dual-boiler espresso machine with a built-in conical grinder."),
        P("HOM-KTL-002", "Gooseneck Electric Kettle", "Home & Kitchen", 59.00m, 950, "Temperature-controlled kettle for pour-over coffee and tea."),
        P("HOM-KNF-003", "Damascus Chef's Knife 20 cm", "Home & Kitchen", 129.00m, 75, "67-layer Damascus steel blade with an olive-wood handle."),
        P("HOM-PAN-004", "Cast Iron Skillet 28 cm", "Home & Kitchen", 49.90m, 1100, "Pre-seasoned skillet for stove, oven and campfire."),
        P("HOM-BLN-005", "Vortex High-Speed Blender", "Home & Kitchen", 189.00m, 230, "1,500 W blender with a 2-litre Tritan jar and self-cleaning mode."),
        P("HOM-MUG-006", "Stoneware Mug Set (4)", "Home & Kitchen", 29.90m, 3000, "Four hand-glazed 350 ml mugs, dishwasher safe."),

        P("OUT-TNT-001", "Alpine 2-Person Tent", "Outdoors", 279.00m, 45, "Four-season freestanding tent, 2.1 kg packed."),
        P("OUT-SLB-002", "Down Sleeping Bag -10 °C", "Outdoors", 219.00m, 90, "Responsibly sourced 700-fill down, comfort rating -4 °C."),
        P("OUT-BPK-003", "Trail 45 L Backpack", "Outdoors", 139.00m, 300, "Ventilated back panel, rain cover and hip-belt pockets."),
        P("OUT-BTL-004", "Insulated Steel Bottle 750 ml", "Outdoors", 24.90m, 5000, "Keeps drinks cold for 24 hours or hot for 12."),
        P("OUT-HLP-005", "Summit Headlamp 400 lm", "Outdoors", 34.90m, 1400, "Rechargeable headlamp with red night-vision mode."),
        P("OUT-STV-006", "Compact Camping Stove", "Outdoors", 69.00m, 5, "Folding gas stove with piezo ignition, boils a litre in 3 minutes."),

        P("BOK-DDD-001", "Domain-Driven Design Distilled", "Books", 34.99m, 1000, "A concise introduction to bounded contexts, aggregates and strategic design."),
        P("BOK-EIP-002", "Enterprise Integration Patterns", "Books", 59.99m, 150, "The classic catalogue of messaging patterns for distributed systems."),
        P("BOK-DDIA-003", "Designing Data-Intensive Applications", "Books", 44.99m, 2000, "Reliable, scalable and maintainable data systems explained."),
        P("BOK-REF-004", "Refactoring, 2nd Edition", "Books", 49.99m, 400, "Improving the design of existing code, with examples in JavaScript."),
        P("BOK-SIG-005", "Collector's Signed First Edition", "Books", 189.00m, 1, "A signed first printing in a protective slipcase; one copy only."),
        P("BOK-CKB-006", "The Mediterranean Kitchen", "Books", 29.99m, 600, "120 seasonal recipes from the coasts of the Mediterranean."),

        P("FSH-JKT-001", "Waterproof Shell Jacket", "Fashion", 229.00m, 140, "Three-layer breathable shell with taped seams and a helmet-ready hood."),
        P("FSH-SNK-002", "Everyday Leather Sneakers", "Fashion", 119.00m, 500, "Vegetable-tanned leather upper on a recycled rubber sole."),
        P("FSH-TSH-003", "Organic Cotton T-Shirt", "Fashion", 19.90m, 4000, "Heavyweight GOTS-certified cotton, made in Portugal."),
        P("FSH-SCF-004", "Merino Wool Scarf", "Fashion", 49.00m, 35, "Extra-fine merino, soft enough to wear against the skin."),
        P("FSH-WTC-005", "Automatic Field Watch", "Fashion", 389.00m, 8, "Self-winding movement, sapphire crystal, 100 m water resistance."),
        P("FSH-SNG-006", "Polarised Sunglasses", "Fashion", 89.00m, 1000, "Acetate frame with polarised, UV400 lenses."),
    ];

    public static Guid ProductId(string sku) => DeterministicId("product/" + sku);

    // Seeds each database only while it is empty. Two hosts starting together may both try: the loser's insert
    // violates a key, and the re-check then finds the winner's rows. Each product's stock sits in the default warehouse.
    // The products are announced on product-events with the rows (events given), so the search index and the caches learn
    // of them as of any other product.
    public static async Task SeedAsync(CatalogDbContext catalog, InventoryDbContext inventory, CancellationToken ct, ProductEvents? events = null)
    {
        await SeedOnceAsync(catalog, catalog.Products, async () =>
        {
            var products = Products.Select(p => new Product
            {
                Id = p.Id,
                Sku = p.Sku,
                Name = p.Name,
                Brand = p.Brand,
                Category = p.Category,
                Description = p.Description,
                Price = p.Price,
                Currency = Currency,
                VendorId = p.VendorId,
                ReportedStock = p.Stock,
                InStock = p.Stock > 0,
            }).ToList();
            catalog.Products.AddRange(products);
            if (events is not null)
            {
                events.Enlist(catalog);
                foreach (var product in products)
                    await events.AnnounceAsync(product, [], ct);
            }

            catalog.StockLevels.AddRange(Products.Select(p => new ProductStockLevel
            {
                ProductId = p.Id,
                Warehouse = WarehouseStock.DefaultWarehouse,
                Quantity = p.Stock,
            }));
        }, ct);
        await SeedOnceAsync(inventory, inventory.StockItems, () =>
        {
            inventory.StockItems.AddRange(Products.Select(p => new StockItem { ProductId = p.Id, OnHand = p.Stock, Reserved = 0 }));
            inventory.WarehouseStocks.AddRange(Products.Select(p => new WarehouseStock
            {
                ProductId = p.Id,
                Warehouse = WarehouseStock.DefaultWarehouse,
                Quantity = p.Stock,
                VendorId = p.VendorId,
                Sku = p.Sku,
                UpdatedAt = DateTimeOffset.UnixEpoch,
            }));
        }, ct);
    }

    static Task SeedOnceAsync<TEntity>(DbContext db, DbSet<TEntity> set, Action add, CancellationToken ct)
        where TEntity : class =>
        SeedOnceAsync(db, set, () =>
        {
            add();
            return Task.CompletedTask;
        }, ct);

    static async Task SeedOnceAsync<TEntity>(DbContext db, DbSet<TEntity> set, Func<Task> add, CancellationToken ct)
        where TEntity : class
    {
        if (await set.AnyAsync(ct))
            return;
        await add();
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            if (!await set.AnyAsync(ct))
                throw;
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    static DemoProduct P(string sku, string name, string category, decimal price, int stock, string description) =>
        new(ProductId(sku), sku, name, BrandOf(sku, category), category, description, price, DemoVendorId, stock);

    // Two house brands per category, alternating by the SKU's number, so brand filters and facets have a choice.
    static string BrandOf(string sku, string category)
    {
        var (odd, even) = category switch
        {
            "Audio" => ("Sonora", "Fjordline"),
            "Computing" => ("Helix", "Quantum Forge"),
            "Home & Kitchen" => ("Hearth & Co", "Copperleaf"),
            "Outdoors" => ("Northbound", "Ridgeway"),
            "Books" => ("Beacon Press", "Lantern Books"),
            _ => ("Atelier Nord", "Maison Verde"),
        };
        return int.Parse(sku[^3..], System.Globalization.CultureInfo.InvariantCulture) % 2 == 1 ? odd : even;
    }

    // A version-8 (custom) UUID from a SHA-256 of the name: stable across installs and platforms.
    static Guid DeterministicId(string name)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes("globalcommerce/" + name), hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }
}
