using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Util;

namespace GlobalCommerce.Consumers.Catalog.Search.Lucene;

// One pass for the hits and every multi-select facet. The query carries the words and the filters that are not facets
// (price, live products); this collector reads each match's category, brand and availability from doc values and
// counts it in every facet whose other filters it passes (a facet ignores its own filter), and hands the matches that
// pass all three to the top-hits collector. Counts are per segment by ordinal, resolved to values once per segment.
sealed class FacetingCollector(ICollector top, IReadOnlyList<string> categories, IReadOnlyList<string> brands, bool? inStock) : ICollector
{
    readonly Dictionary<string, long> _categories = new(StringComparer.Ordinal);
    readonly Dictionary<string, long> _brands = new(StringComparer.Ordinal);
    readonly long[] _stock = new long[2];
    SortedDocValues? _categoryValues;
    SortedDocValues? _brandValues;
    NumericDocValues? _stockValues;
    int[] _categoryCounts = [];
    int[] _brandCounts = [];
    bool[] _categoryChosen = [];
    bool[] _brandChosen = [];

    public bool AcceptsDocsOutOfOrder => top.AcceptsDocsOutOfOrder;

    public void SetScorer(Scorer scorer) => top.SetScorer(scorer);

    public void SetNextReader(AtomicReaderContext context)
    {
        Flush();
        var reader = context.AtomicReader;
        _categoryValues = reader.GetSortedDocValues("category_dv");
        _brandValues = reader.GetSortedDocValues("brand_dv");
        _stockValues = reader.GetNumericDocValues("in_stock_dv");
        _categoryCounts = new int[_categoryValues?.ValueCount ?? 0];
        _brandCounts = new int[_brandValues?.ValueCount ?? 0];
        _categoryChosen = Chosen(_categoryValues, categories);
        _brandChosen = Chosen(_brandValues, brands);
        top.SetNextReader(context);
    }

    static bool[] Chosen(SortedDocValues? values, IReadOnlyList<string> chosen)
    {
        var flags = new bool[values?.ValueCount ?? 0];
        if (values is null)
            return flags;
        foreach (var value in chosen)
        {
            if (values.LookupTerm(new BytesRef(value)) is var ord and >= 0)
                flags[ord] = true;
        }

        return flags;
    }

    public void Collect(int doc)
    {
        var category = _categoryValues?.GetOrd(doc) ?? -1;
        var brand = _brandValues?.GetOrd(doc) ?? -1;
        var stocked = _stockValues?.Get(doc) == 1;
        var passesCategory = categories.Count == 0 || (category >= 0 && _categoryChosen[category]);
        var passesBrand = brands.Count == 0 || (brand >= 0 && _brandChosen[brand]);
        var passesStock = inStock is null || stocked == inStock;
        if (passesBrand && passesStock && category >= 0)
            _categoryCounts[category]++;
        if (passesCategory && passesStock && brand >= 0)
            _brandCounts[brand]++;
        if (passesCategory && passesBrand)
            _stock[stocked ? 1 : 0]++;
        if (passesCategory && passesBrand && passesStock)
            top.Collect(doc);
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
