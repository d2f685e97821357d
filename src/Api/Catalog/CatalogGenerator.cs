using Bogus;
using GlobalCommerce.Consumers.Catalog;

namespace GlobalCommerce.Api.Catalog;

// A large, realistic-looking catalog for tests and benchmarks: per category a set of product kinds and the words that
// describe them, a few hundred brands, names like "Nordvik Wireless Noise-Cancelling Headphones 40", descriptions from
// the kind's features, prices spread over three orders of magnitude, most products in stock. The same seed gives the same
// catalog (SKUs GEN-000001 …), so runs compare.
public sealed class CatalogGenerator(int seed)
{
    static readonly (string Category, string[] Kinds, string[] Qualities, string[] Features, decimal Low, decimal High)[] Categories =
    [
        ("Audio", ["Headphones", "Earbuds", "Speaker", "Soundbar", "Microphone", "Turntable", "Amplifier", "Subwoofer"],
            ["Wireless", "Noise-Cancelling", "Portable", "Studio", "Bluetooth", "Waterproof", "Hi-Fi", "Compact"],
            ["40-hour battery", "USB-C charging", "multipoint pairing", "IP67 rating", "aptX HD", "a built-in preamp", "spatial audio"], 15m, 1500m),
        ("Computing", ["Laptop", "Monitor", "Keyboard", "Mouse", "SSD", "Graphics Card", "Webcam", "Docking Station", "Router"],
            ["Mechanical", "Ultrawide", "Gaming", "Ergonomic", "4K", "Wireless", "Thin", "Professional"],
            ["a 144 Hz panel", "hot-swappable switches", "PCIe 4.0", "Thunderbolt 4", "Wi-Fi 7", "a backlit layout", "USB-C power delivery"], 10m, 3000m),
        ("Home & Kitchen", ["Espresso Machine", "Kettle", "Blender", "Chef's Knife", "Skillet", "Toaster", "Air Fryer", "Mug Set", "Cookware Set"],
            ["Stainless", "Cast Iron", "Electric", "Ceramic", "Non-Stick", "Digital", "Cordless", "Vintage"],
            ["a dual boiler", "temperature control", "a dishwasher-safe jar", "a forged blade", "a pre-seasoned surface", "a timer"], 8m, 900m),
        ("Outdoors", ["Tent", "Sleeping Bag", "Backpack", "Headlamp", "Camping Stove", "Water Bottle", "Trekking Poles", "Hammock"],
            ["Ultralight", "Four-Season", "Insulated", "Waterproof", "Rechargeable", "Folding", "Alpine", "Trail"],
            ["a 2.1 kg packed weight", "700-fill down", "a rain cover", "a red night mode", "piezo ignition", "a lifetime warranty"], 10m, 800m),
        ("Books", ["Cookbook", "Novel", "Field Guide", "Atlas", "Handbook", "Biography", "Anthology", "Workbook"],
            ["Illustrated", "Signed", "Paperback", "Hardcover", "Collector's", "Annotated", "Pocket", "Revised"],
            ["full-colour plates", "an index of recipes", "maps of every region", "exercises with answers", "a foreword by the author"], 5m, 120m),
        ("Fashion", ["Jacket", "Sneakers", "T-Shirt", "Scarf", "Watch", "Sunglasses", "Backpack", "Boots"],
            ["Merino", "Leather", "Organic Cotton", "Waterproof", "Automatic", "Polarised", "Slim-Fit", "Vegan"],
            ["sapphire crystal", "taped seams", "a recycled sole", "UV400 lenses", "a relaxed fit", "reinforced stitching"], 12m, 1200m),
    ];

    public IEnumerable<Product> Products(int count, Guid vendorId, DateTimeOffset createdFrom)
    {
        var faker = new Faker { Random = new Randomizer(seed) };
        var brands = Enumerable.Range(0, 300).Select(_ => Brand(faker)).Distinct(StringComparer.Ordinal).ToArray();
        for (var i = 1; i <= count; i++)
        {
            var (category, kinds, qualities, features, low, high) = faker.PickRandom(Categories);
            var kind = faker.PickRandom(kinds);
            var brand = faker.PickRandom(brands);
            var name = $"{brand} {faker.PickRandom(qualities)} {kind}" + (faker.Random.Bool(0.4f) ? $" {faker.Random.Int(2, 99)}" : "");
            // Log-uniform: as many products between 10 and 100 as between 100 and 1,000.
            var price = Math.Round((decimal)Math.Exp(faker.Random.Double(Math.Log((double)low), Math.Log((double)high))), 2);
            var stock = faker.Random.Bool(0.85f) ? faker.Random.Int(1, 500) : 0;
            yield return new Product
            {
                Id = DeterministicId(i),
                Sku = $"GEN-{i:D6}",
                Name = name.Length > 200 ? name[..200] : name,
                Brand = brand,
                Category = category,
                Description = $"{faker.PickRandom(qualities)} {kind.ToLowerInvariant()} with {faker.PickRandom(features)} and {faker.PickRandom(features)}. "
                    + faker.Lorem.Sentence(8),
                Price = price,
                Currency = DemoCatalog.Currency,
                VendorId = vendorId,
                ReportedStock = stock,
                InStock = stock > 0,
                Revision = 1,
                CreatedAt = createdFrom.AddSeconds(i),
                UpdatedAt = createdFrom.AddSeconds(i),
            };
        }
    }

    static string Brand(Faker faker)
    {
        var word = faker.Random.Bool() ? faker.Address.StreetSuffix() : faker.Name.LastName();
        var name = faker.Random.Bool(0.3f) ? $"{faker.Name.LastName()} & {word}" : faker.Random.Bool() ? word + faker.PickRandom("ix", "o", "a", "io", "ex", "on") : word;
        return name.Length > 100 ? name[..100] : name;
    }

    static Guid DeterministicId(int i)
    {
        Span<byte> bytes = stackalloc byte[16];
        "gc-generated-pr"u8.CopyTo(bytes);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes[12..], i);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
