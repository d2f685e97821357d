using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Util;

namespace GlobalCommerce.Consumers.Catalog.Search.Lucene;

// Counts the matching products per category, brand and availability from the index's doc values (per segment by
// ordinal, resolved to the value once per segment): Lucene's own column store, no stored field is read.
sealed class FacetCounter(bool category, bool brand, bool inStock) : ICollector
{
    readonly Dictionary<string, long> _categories = new(StringComparer.Ordinal);
    readonly Dictionary<string, long> _brands = new(StringComparer.Ordinal);
    readonly long[] _stock = new long[2];
    SortedDocValues? _categoryValues;
    SortedDocValues? _brandValues;
    NumericDocValues? _stockValues;
    int[] _categoryCounts = [];
    int[] _brandCounts = [];

    public bool AcceptsDocsOutOfOrder => true;

    public void SetScorer(Scorer scorer)
    {
    }

    public void SetNextReader(AtomicReaderContext context)
    {
        Flush();
        var reader = context.AtomicReader;
        if (category)
        {
            _categoryValues = reader.GetSortedDocValues("category_dv");
            _categoryCounts = new int[_categoryValues?.ValueCount ?? 0];
        }

        if (brand)
        {
            _brandValues = reader.GetSortedDocValues("brand_dv");
            _brandCounts = new int[_brandValues?.ValueCount ?? 0];
        }

        if (inStock)
            _stockValues = reader.GetNumericDocValues("in_stock_dv");
    }

    public void Collect(int doc)
    {
        if (_categoryValues is not null && _categoryValues.GetOrd(doc) is var c and >= 0)
            _categoryCounts[c]++;
        if (_brandValues is not null && _brandValues.GetOrd(doc) is var b and >= 0)
            _brandCounts[b]++;
        if (_stockValues is not null)
            _stock[_stockValues.Get(doc) == 1 ? 1 : 0]++;
    }

    void Flush()
    {
        Flush(_categoryValues, _categoryCounts, _categories);
        Flush(_brandValues, _brandCounts, _brands);
        _categoryValues = null;
        _brandValues = null;
    }

    static void Flush(SortedDocValues? values, int[] counts, Dictionary<string, long> into)
    {
        if (values is null)
            return;
        var term = new BytesRef();
        for (var ord = 0; ord < counts.Length; ord++)
        {
            if (counts[ord] == 0)
                continue;
            values.LookupOrd(ord, term);
            var key = term.Utf8ToString();
            into[key] = into.GetValueOrDefault(key) + counts[ord];
        }
    }

    // Takes another counter's counts of one facet (the count made without that facet's own filter).
    public void Take(FacetCounter other, string facet)
    {
        other.Flush();
        switch (facet)
        {
            case SearchFacets.Category:
                _categories.Clear();
                foreach (var (key, count) in other._categories)
                    _categories[key] = count;
                break;
            case SearchFacets.Brand:
                _brands.Clear();
                foreach (var (key, count) in other._brands)
                    _brands[key] = count;
                break;
            case SearchFacets.InStock:
                other._stock.CopyTo(_stock, 0);
                break;
        }
    }

    // Most frequent first (then by value), at most 50 values a facet.
    public IReadOnlyDictionary<string, IReadOnlyList<FacetValue>> Results()
    {
        Flush();
        return new Dictionary<string, IReadOnlyList<FacetValue>>
        {
            [SearchFacets.Category] = Top(_categories),
            [SearchFacets.Brand] = Top(_brands),
            [SearchFacets.InStock] = new[] { new FacetValue("true", _stock[1]), new FacetValue("false", _stock[0]) }.Where(v => v.Count > 0).ToList(),
        };
    }

    static List<FacetValue> Top(Dictionary<string, long> counts) =>
        [.. counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Take(50).Select(c => new FacetValue(c.Key, c.Value))];
}
