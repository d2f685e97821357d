namespace GlobalCommerce.Bench.OrderLoad.Load;

// Picks the demo catalog's plentiful products, weighted by the stock still left, so no order fails for lack of stock.
// The platform's databases are fresh per mode, so every mode starts from the seeded stock.
public sealed class ProductPicker
{
    // Kept in reserve per product: the count here is an estimate the platform never confirms.
    const int Margin = 20;

    readonly Lock _gate = new();
    readonly Guid[] _ids;
    readonly int[] _left;

    public ProductPicker(IReadOnlyList<Product> products)
    {
        _ids = [.. products.Select(product => product.Id)];
        _left = [.. products.Select(product => product.Available - Margin)];
        Skus = [.. products.Select(product => $"{product.Sku} ({product.Available})")];
    }

    public IReadOnlyList<string> Skus { get; }

    public int UnitsLeft
    {
        get
        {
            lock (_gate)
                return _left.Where(left => left > 0).Sum();
        }
    }

    public void Return(Guid productId)
    {
        lock (_gate)
            _left[Array.IndexOf(_ids, productId)]++;
    }

    public Guid? Take()
    {
        lock (_gate)
        {
            var total = _left.Where(left => left > 0).Sum();
            if (total <= 0)
                return null;
            var pick = Random.Shared.Next(total);
            for (var i = 0; i < _left.Length; i++)
            {
                if (_left[i] <= 0)
                    continue;
                if (pick < _left[i])
                {
                    _left[i]--;
                    return _ids[i];
                }

                pick -= _left[i];
            }

            return null;
        }
    }
}
