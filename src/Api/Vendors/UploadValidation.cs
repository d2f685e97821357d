using System.Globalization;
using System.Text.RegularExpressions;
using GlobalCommerce.Consumers.Vendors;

namespace GlobalCommerce.Api.Vendors;

// What the catalog says about a SKU an upload names.
public sealed record CatalogEntry(Guid ProductId, Guid VendorId, string Currency);

public sealed record AcceptedRow(int Line, Guid ProductId, string Sku, string Warehouse, int Quantity, decimal Price, string Currency, int ReorderPoint);

public sealed record ChunkVerdict(IReadOnlyList<AcceptedRow> Accepted, IReadOnlyList<UploadRejection> Rejected, IReadOnlyList<UploadKey> NewKeys);

// Checks one chunk of rows: every value present and well formed, the SKU in the catalog and the vendor's own, the
// (SKU, warehouse) named once in the whole upload. A row with several faults is reported with all of them (its code is
// the first). Values are never echoed into a reason; the SKU and warehouse are shown beside it, neutralised.
public static partial class UploadValidation
{
    public const int MaxQuantity = 1_000_000_000;
    public const decimal MaxPrice = 1_000_000_000m;
    const int MaxKeyLength = 64;

    // Letters, digits and a few separators: no formula can start a warehouse code, nor any control character sit in one.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex WarehouseCode();

    // The (SKU, warehouse) keys of a chunk's rows (UploadKey.Of), for the lookup of the ones earlier chunks named.
    public static IReadOnlyList<string> KeysOf(IEnumerable<UploadRow> rows) =>
        [.. rows.Where(r => r.Sku is { Length: <= MaxKeyLength } && r.Warehouse is not null && WarehouseCode().IsMatch(r.Warehouse))
            .Select(r => UploadKey.Of(r.Sku!, r.Warehouse!)).Distinct()];

    // catalog: the chunk's SKUs that exist; earlier: the keys (UploadKey.Of) earlier chunks of this upload named, with their lines.
    public static ChunkVerdict Check(Guid uploadId, Guid vendorId, IReadOnlyList<UploadRow> rows, IReadOnlyDictionary<string, CatalogEntry> catalog,
        IReadOnlyDictionary<string, int> earlier)
    {
        var accepted = new List<AcceptedRow>();
        var rejected = new List<UploadRejection>();
        var keys = new List<UploadKey>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var problems = new List<(string Code, string Message)>();
            void Fail(string code, string message) => problems.Add((code, message));

            if (row.Problem is not null)
                Fail(RejectionCodes.MalformedRow, row.Problem);
            else
            {
                var missing = new[]
                {
                    (UploadColumns.Sku, row.Sku), (UploadColumns.Warehouse, row.Warehouse), (UploadColumns.Quantity, row.Quantity),
                    (UploadColumns.Price, row.Price), (UploadColumns.ReorderPoint, row.ReorderPoint),
                }.Where(v => v.Item2 is null).Select(v => v.Item1).ToList();
                if (missing.Count > 0)
                    Fail(RejectionCodes.MissingValue, $"No value for {string.Join(", ", missing)}.");
            }

            var warehouseOk = row.Warehouse is not null && WarehouseCode().IsMatch(row.Warehouse);
            if (row.Warehouse is not null && !warehouseOk)
                Fail(RejectionCodes.InvalidWarehouse, "The warehouse code must be 1 to 64 letters, digits, spaces or . _ / -, starting with a letter or digit.");
            if (row.Sku is { Length: <= MaxKeyLength } sku && warehouseOk)
            {
                var key = UploadKey.Of(sku, row.Warehouse!);
                if (earlier.TryGetValue(key, out var first) || seen.TryGetValue(key, out first))
                    Fail(RejectionCodes.DuplicateRow, $"This SKU and warehouse already appear on line {first}; each may appear once per upload.");
                else
                {
                    seen[key] = row.Line;
                    keys.Add(new UploadKey { UploadId = uploadId, Key = key, Line = row.Line });
                }
            }

            var quantity = WholeNumber(row.Quantity, "quantity", RejectionCodes.NegativeQuantity, Fail);
            var reorderPoint = WholeNumber(row.ReorderPoint, "reorder_point", RejectionCodes.NegativeReorderPoint, Fail);
            var price = Price(row.Price, Fail);

            CatalogEntry? product = null;
            if (row.Sku is not null && !catalog.TryGetValue(row.Sku, out product))
                Fail(RejectionCodes.UnknownSku, "The SKU is not in the catalog.");
            else if (product is not null && product.VendorId != vendorId)
                Fail(RejectionCodes.NotYourSku, "The SKU belongs to another vendor.");

            if (problems.Count > 0)
            {
                rejected.Add(new UploadRejection
                {
                    UploadId = uploadId,
                    Line = row.Line,
                    Code = problems[0].Code,
                    Reason = Truncate(string.Join(" ", problems.Select(p => p.Message)), 500),
                    Sku = ReportText.Neutralize(row.Sku),
                    Warehouse = ReportText.Neutralize(row.Warehouse),
                });
                continue;
            }

            accepted.Add(new AcceptedRow(row.Line, product!.ProductId, row.Sku!, row.Warehouse!, quantity!.Value, price!.Value, product.Currency,
                reorderPoint!.Value));
        }

        return new ChunkVerdict(accepted, rejected, keys);
    }

    static int? WholeNumber(string? text, string column, string negativeCode, Action<string, string> fail)
    {
        if (text is null)
            return null;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            fail(RejectionCodes.MalformedNumber, $"The {column} is not a whole number.");
            return null;
        }

        if (value < 0)
        {
            fail(negativeCode, $"The {column} must not be negative.");
            return null;
        }

        if (value > MaxQuantity)
        {
            fail(RejectionCodes.MalformedNumber, $"The {column} is larger than {MaxQuantity.ToString("N0", CultureInfo.InvariantCulture)}.");
            return null;
        }

        return (int)value;
    }

    static decimal? Price(string? text, Action<string, string> fail)
    {
        if (text is null)
            return null;
        if (!decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var price))
        {
            fail(RejectionCodes.MalformedNumber, "The price is not a number (use a point for decimals, no thousands separators).");
            return null;
        }

        if (price <= 0 || price > MaxPrice || decimal.Round(price, 2) != price)
        {
            fail(RejectionCodes.InvalidPrice, "The price must be more than 0 and at most 1,000,000,000, with at most two decimals.");
            return null;
        }

        return price;
    }

    static string Truncate(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";
}
