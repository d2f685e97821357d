namespace GlobalCommerce.Consumers.Vendors;

// Why a row was rejected, as the upload report names it (stable: clients may switch on them).
public static class RejectionCodes
{
    public const string MissingValue = "missing-value";
    public const string MalformedNumber = "malformed-number";
    public const string NegativeQuantity = "negative-quantity";
    public const string NegativeReorderPoint = "negative-reorder-point";
    public const string InvalidPrice = "invalid-price";
    public const string InvalidWarehouse = "invalid-warehouse";
    public const string UnknownSku = "unknown-sku";
    public const string NotYourSku = "not-your-sku";
    public const string DuplicateRow = "duplicate-row";
    public const string MalformedRow = "malformed-row";
    public const string BelowReserved = "below-reserved";
}
