using GlobalCommerce.Consumers.Catalog;

namespace GlobalCommerce.Api.Orders;

// Checks a submission against the catalog; collects every bad field rather than stopping at the first.
public static class OrderValidation
{
    public const int MaxLines = 50;
    public const int MaxQuantityPerLine = 100;
    const int MaxText = 200;

    // At most MaxLines distinct ids, and none for a cart that is refused for its size whatever the catalog says.
    public static IReadOnlyList<Guid> ProductsToLookUp(SubmitOrderRequest request) =>
        request.Items is { Count: > 0 and <= MaxLines } items
            ? [.. items.Where(item => item?.ProductId is { } id && id != Guid.Empty).Select(item => item!.ProductId!.Value).Distinct()]
            : [];

    public static Dictionary<string, string[]> Validate(SubmitOrderRequest request, Guid customerId, IReadOnlyDictionary<Guid, Product> catalog)
    {
        var errors = new Dictionary<string, List<string>>();
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list))
                errors[field] = list = [];
            list.Add(message);
        }

        // The customer is the caller; a customerId in the body is optional and must name them.
        if (request.CustomerId is not null && request.CustomerId != customerId)
            Add("customerId", "Must be the logged-in customer's id, or left out.");

        if (request.Items is null || request.Items.Count == 0)
            Add("items", "The cart is empty: at least one item is required.");
        else if (request.Items.Count > MaxLines)
            Add("items", $"At most {MaxLines} lines per order.");
        else
        {
            var seen = new HashSet<Guid>();
            for (var i = 0; i < request.Items.Count; i++)
            {
                var item = request.Items[i];
                if (item is null)
                {
                    Add($"items[{i}]", "The item is missing.");
                    continue;
                }

                if (item.ProductId is not { } productId || productId == Guid.Empty)
                    Add($"items[{i}].productId", "A product id is required.");
                else if (!catalog.ContainsKey(productId))
                    Add($"items[{i}].productId", $"Unknown product {productId}.");
                else if (!seen.Add(productId))
                    Add($"items[{i}].productId", "The product appears twice; put the whole quantity on one line.");

                if (item.Quantity is not { } quantity)
                    Add($"items[{i}].quantity", "A quantity is required.");
                else if (quantity <= 0)
                    Add($"items[{i}].quantity", "The quantity must be at least 1.");
                else if (quantity > MaxQuantityPerLine)
                    Add($"items[{i}].quantity", $"At most {MaxQuantityPerLine} units per line.");
            }

            var currencies = request.Items.Where(item => item?.ProductId is { } id && catalog.ContainsKey(id))
                .Select(item => catalog[item!.ProductId!.Value].Currency).Distinct().Count();
            if (currencies > 1)
                Add("items", "All items of one order must be priced in the same currency.");
        }

        if (request.ShippingAddress is not { } address)
            Add("shippingAddress", "A shipping address is required.");
        else
        {
            RequireText(address.Name, "shippingAddress.name", Add);
            RequireText(address.Line1, "shippingAddress.line1", Add);
            RequireText(address.City, "shippingAddress.city", Add);
            RequireText(address.PostalCode, "shippingAddress.postalCode", Add);
            if (address.Line2 is { Length: > MaxText })
                Add("shippingAddress.line2", $"At most {MaxText} characters.");
            if (string.IsNullOrWhiteSpace(address.Country))
                Add("shippingAddress.country", "A country is required.");
            else if (address.Country.Length != 2 || !address.Country.All(char.IsAsciiLetter))
                Add("shippingAddress.country", "Use the ISO 3166-1 alpha-2 code, e.g. DE.");
        }

        if (string.IsNullOrWhiteSpace(request.PaymentToken))
            Add("paymentToken", "A payment token from the payment gateway is required (card data is never accepted).");
        else if (request.PaymentToken.Length > MaxText)
            Add("paymentToken", $"At most {MaxText} characters.");

        return errors.ToDictionary(pair => pair.Key, pair => pair.Value.ToArray());
    }

    static void RequireText(string? value, string field, Action<string, string> add)
    {
        if (string.IsNullOrWhiteSpace(value))
            add(field, "This field is required.");
        else if (value.Length > MaxText)
            add(field, $"At most {MaxText} characters.");
    }
}
