using System.Collections.Concurrent;
using System.Text.Json;
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.Core;
using Lucene.Net.Analysis.Miscellaneous;
using Lucene.Net.Analysis.Standard;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Util;
using Microsoft.Extensions.Logging;
using LuceneDirectory = Lucene.Net.Store.Directory;

namespace GlobalCommerce.Consumers.Catalog.Search.Lucene;

// The catalog's search index on this host's disk, the engine Elasticsearch is built on: BM25 ranking with field boosts,
// typo tolerance by Lucene's FuzzyQuery (Levenshtein automata) with Elasticsearch's AUTO edit distances, filters,
// multi-select facets counted from doc values, and cursors that resume on the very index snapshot the first page was read
// from (SearcherLifetimeManager: Elasticsearch's point in time), so products added meanwhile never shift a page.
//
// Writes are serialized and idempotent: the index keeps each product's revision (tombstones for removed products), and a
// document at or below it is skipped. Every write batch is committed (fsync) before the call returns, so a consumer group
// that records the events as consumed afterwards never loses one to a crash; a replay finds the revision and skips.
public sealed partial class LuceneProductIndex : IProductSearchIndex, IDisposable
{
    const LuceneVersion Version = LuceneVersion.LUCENE_48;
    const int MaxTerms = 32;
    const int MaxSize = 100;

    // Field boosts of the relevance query (Elasticsearch's multi_match "name^3 brand^2 ...").
    // Typos are forgiven in the short fields a shopper names (name, brand, category); the description and the SKU match as
    // written. Fuzzy matching keeps the first letter (prefix 1): a Levenshtein automaton over every term of a long
    // description field was most of an uncached search's time, and first-letter typos are rare.
    static readonly (string Field, float Boost, bool Fuzzy)[] TextFields =
        [("name", 3f, true), ("brand_text", 2f, true), ("sku_text", 2f, false), ("category_text", 1.5f, true), ("description", 1f, false)];

    readonly LuceneDirectory _directory;
    readonly Analyzer _analyzer;
    IndexWriter _writer;
    SearcherManager _searchers;
    readonly SearcherLifetimeManager _snapshots = new();
    readonly SemaphoreSlim _writeLock = new(1, 1);
    readonly ConcurrentDictionary<Guid, long> _revisions = new();
    readonly TimeSpan _cursorLifetime;
    readonly ILogger _logger;
    long _lastPrune;

    public LuceneProductIndex(string path, TimeSpan cursorLifetime, ILogger<LuceneProductIndex> logger)
        : this(OwnerOnlyDirectory.Create(path), cursorLifetime, logger)
    {
    }

    public LuceneProductIndex(LuceneDirectory directory, TimeSpan cursorLifetime, ILogger<LuceneProductIndex> logger)
    {
        _directory = directory;
        _cursorLifetime = cursorLifetime;
        _logger = logger;
        _analyzer = CreateAnalyzer();
        (_writer, _searchers) = Open();
        LoadRevisions();
    }

    (IndexWriter, SearcherManager) Open()
    {
        var config = new IndexWriterConfig(Version, _analyzer) { OpenMode = OpenMode.CREATE_OR_APPEND, Similarity = new BM25Similarity() };
        var writer = new IndexWriter(_directory, config);
        (_directory as OwnerOnlyDirectory)?.Restrict(IndexWriter.WRITE_LOCK_NAME);
        return (writer, new SearcherManager(writer, applyAllDeletes: true, new Bm25SearcherFactory()));
    }

    // Text: tokens split by Unicode rules, lower-cased and folded to ASCII ("Café" finds "cafe"); no stemming, so that
    // fuzzy matching compares the words as written.
    static Analyzer CreateAnalyzer() => Analyzer.NewAnonymous((_, reader) =>
    {
        var tokenizer = new StandardTokenizer(Version, reader);
        TokenStream stream = new LowerCaseFilter(Version, tokenizer);
        stream = new ASCIIFoldingFilter(stream);
        return new TokenStreamComponents(tokenizer, stream);
    });

    public async Task IndexAsync(IReadOnlyList<ProductSearchDocument> products, CancellationToken cancellationToken)
    {
        if (products.Count == 0)
            return;
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var changed = 0;
            foreach (var product in products.GroupBy(p => p.Id).Select(g => g.MaxBy(p => p.Revision)!))
            {
                if (_revisions.TryGetValue(product.Id, out var have) && have >= product.Revision)
                    continue;
                _writer.UpdateDocument(new Term("id", Key(product.Id)), ToDocument(product));
                _revisions[product.Id] = product.Revision;
                changed++;
            }

            if (changed > 0)
                CommitAndRefresh();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task DeleteAsync(IReadOnlyDictionary<Guid, long> products, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var changed = 0;
            foreach (var (id, revision) in products)
            {
                if (_revisions.TryGetValue(id, out var have) && have >= revision)
                    continue;
                // A tombstone keeps the revision, so an older copy of the product read again does not bring it back.
                var tombstone = new Document
                {
                    new StringField("id", Key(id), Field.Store.YES),
                    new StringField("kind", "tombstone", Field.Store.NO),
                    new StoredField("revision", revision),
                    new NumericDocValuesField("revision_dv", revision),
                };
                _writer.UpdateDocument(new Term("id", Key(id)), tombstone);
                _revisions[id] = revision;
                changed++;
            }

            if (changed > 0)
                CommitAndRefresh();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    // Rebuilds from a full read of the catalog: everything is replaced, revisions included. Used on an empty index and
    // by the reindex command; the consumer group's events since then are applied on top (older revisions skip).
    public async Task ReplaceAllAsync(IAsyncEnumerable<ProductSearchDocument> products, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            _writer.DeleteAll();
            _revisions.Clear();
            long count = 0;
            await foreach (var product in products.WithCancellation(cancellationToken))
            {
                _writer.AddDocument(ToDocument(product));
                _revisions[product.Id] = product.Revision;
                if (++count % 5000 == 0)
                    progress?.Report(count);
            }

            // One segment: a search then expands each fuzzy term once instead of once per segment. Later changes add small
            // segments, which the merge policy keeps few.
            _writer.ForceMerge(1);
            CommitAndRefresh();
            progress?.Report(count);
        }
        catch
        {
            // Back to the last commit: Lucene's rollback closes the writer, so the index is opened again as it was.
            _writer.Rollback();
            _searchers.Dispose();
            (_writer, _searchers) = Open();
            _revisions.Clear();
            LoadRevisions();
            throw;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public Task<long> CountAsync(CancellationToken cancellationToken)
    {
        var searcher = _searchers.Acquire();
        try
        {
            var counter = new TotalHitCountCollector();
            searcher.Search(LiveProducts, counter);
            return Task.FromResult((long)counter.TotalHits);
        }
        finally
        {
            _searchers.Release(searcher);
        }
    }

    static readonly Query LiveProducts = new TermQuery(new Term("kind", "product"));

    public Task<SearchResults> SearchAsync(SearchRequest request, CancellationToken cancellationToken)
    {
        var size = Math.Clamp(request.Size, 1, MaxSize);
        var fingerprint = SearchRequestKeys.Fingerprint(request);
        var cursor = request.Cursor is null ? null : SearchCursor.Parse(request.Cursor, fingerprint);
        PruneSnapshots();

        // A cursor resumes on the snapshot its first page was read from; one pruned meanwhile resumes on the current index
        // from the same sort position (products added since may then appear, none already shown repeats).
        IndexSearcher? searcher = cursor is null ? null : _snapshots.Acquire(cursor.Snapshot);
        var fromSnapshot = searcher is not null;
        searcher ??= _searchers.Acquire();
        try
        {
            var snapshot = fromSnapshot ? cursor!.Snapshot : _snapshots.Record(searcher);
            // Rewritten here, once: the fuzzy terms expanded through their Levenshtein automata, per segment.
            var text = searcher.Rewrite(TextQuery(request.Text));
            var sort = SortOf(request.Sort);
            var after = cursor is null ? null : cursor.After(sort);

            var top = TopFieldCollector.Create(sort, size, after, fillFields: true, trackDocScores: true, trackMaxScore: false, docsScoredInOrder: false);
            var facets = new FacetingCollector(top, request.Categories, request.Brands, request.InStock);
            searcher.Search(Filtered(text, request), facets);
            var docs = top.GetTopDocs();

            var hits = new List<SearchHit>(docs.ScoreDocs.Length);
            foreach (var scoreDoc in docs.ScoreDocs)
            {
                var stored = searcher.Doc(scoreDoc.Doc).Get("source");
                var product = JsonSerializer.Deserialize(stored, SearchJsonContext.Default.ProductSearchDocument)!;
                hits.Add(new SearchHit(product, request.Sort == SearchSort.Relevance && !float.IsNaN(scoreDoc.Score) ? scoreDoc.Score : null));
            }

            string? next = null;
            if (docs.ScoreDocs.Length == size && docs.ScoreDocs[^1] is FieldDoc last)
                next = new SearchCursor(snapshot, fingerprint, SearchCursor.Encode(last.Fields)).ToString();
            return Task.FromResult(new SearchResults(docs.TotalHits, hits, facets.Results(), next));
        }
        finally
        {
            if (fromSnapshot)
                _snapshots.Release(searcher);
            else
                _searchers.Release(searcher);
        }
    }

    // The shopper's words: each must match (one word in a short query may be missing from a long one: 75 % of more than
    // three), in any of the text fields, exactly or within AUTO edits; exact matches and the words as a phrase in the name
    // rank higher. Blank text matches every product.
    Query TextQuery(string? text)
    {
        var terms = Analyze(text);
        if (terms.Count == 0)
            return new MatchAllDocsQuery();
        var query = new BooleanQuery();
        foreach (var term in terms)
        {
            var perTerm = new DisjunctionMaxQuery(0.3f);
            var edits = AutoFuzziness(term);
            var automata = new WordAutomata();
            foreach (var (field, boost, fuzzy) in TextFields)
            {
                perTerm.Add(new TermQuery(new Term(field, term)) { Boost = boost });
                if (fuzzy && edits > 0)
                    perTerm.Add(new WordFuzzyQuery(new Term(field, term), edits, automata) { Boost = boost * 0.5f });
            }

            query.Add(perTerm, Occur.SHOULD);
        }

        query.MinimumNumberShouldMatch = terms.Count <= 3 ? terms.Count : (int)Math.Ceiling(terms.Count * 0.75);
        if (terms.Count > 1)
        {
            var phrase = new PhraseQuery { Slop = 2, Boost = 2f };
            foreach (var term in terms)
                phrase.Add(new Term("name", term));
            var withPhrase = new BooleanQuery { { query, Occur.MUST }, { phrase, Occur.SHOULD } };
            return withPhrase;
        }

        return query;
    }

    // Elasticsearch's "AUTO": no edit for one or two letters, one for three to five, two for longer words.
    public static int AutoFuzziness(string term) => term.Length switch
    {
        <= 2 => 0,
        <= 5 => 1,
        _ => 2,
    };

    List<string> Analyze(string? text)
    {
        var terms = new List<string>();
        if (string.IsNullOrWhiteSpace(text))
            return terms;
        using var stream = _analyzer.GetTokenStream("name", text);
        var attribute = stream.AddAttribute<ICharTermAttribute>();
        stream.Reset();
        while (stream.IncrementToken() && terms.Count < MaxTerms)
        {
            var term = attribute.ToString();
            if (!terms.Contains(term, StringComparer.Ordinal))
                terms.Add(term);
        }

        stream.End();
        return terms;
    }

    // The filters that are not facets; category, brand and availability are applied by the FacetingCollector.
    static Query Filtered(Query text, SearchRequest request)
    {
        var filter = new BooleanQuery { { LiveProducts, Occur.MUST } };
        if (request.MinPrice is not null || request.MaxPrice is not null)
            filter.Add(NumericRangeQuery.NewInt64Range("price", request.MinPrice is { } min ? Cents(min, up: true) : null,
                request.MaxPrice is { } max ? Cents(max, up: false) : null, true, true), Occur.MUST);
        return new FilteredQuery(text, new QueryWrapperFilter(filter));
    }

    static Sort SortOf(SearchSort sort)
    {
        var tieBreak = new SortField("id_sort", SortFieldType.STRING);
        return sort switch
        {
            SearchSort.PriceAscending => new Sort(new SortField("price_dv", SortFieldType.INT64), tieBreak),
            SearchSort.PriceDescending => new Sort(new SortField("price_dv", SortFieldType.INT64, reverse: true), tieBreak),
            SearchSort.Newest => new Sort(new SortField("created_dv", SortFieldType.INT64, reverse: true), tieBreak),
            SearchSort.Name => new Sort(new SortField("name_sort", SortFieldType.STRING), tieBreak),
            _ => new Sort(SortField.FIELD_SCORE, tieBreak),
        };
    }

    static Document ToDocument(ProductSearchDocument product)
    {
        var id = Key(product.Id);
        var cents = Cents(product.Price, up: false);
        return new Document
        {
            new StringField("id", id, Field.Store.YES),
            new StringField("kind", "product", Field.Store.NO),
            new SortedDocValuesField("id_sort", new BytesRef(id)),
            new TextField("name", product.Name, Field.Store.NO),
            new SortedDocValuesField("name_sort", new BytesRef(product.Name.ToLowerInvariant())),
            new TextField("brand_text", product.Brand, Field.Store.NO),
            new SortedDocValuesField("brand_dv", new BytesRef(product.Brand)),
            new TextField("category_text", product.Category, Field.Store.NO),
            new SortedDocValuesField("category_dv", new BytesRef(product.Category)),
            new TextField("sku_text", product.Sku, Field.Store.NO),
            new TextField("description", product.Description, Field.Store.NO),
            new Int64Field("price", cents, Field.Store.NO),
            new NumericDocValuesField("price_dv", cents),
            new NumericDocValuesField("in_stock_dv", product.InStock ? 1 : 0),
            new NumericDocValuesField("created_dv", product.CreatedAt.UtcTicks),
            new NumericDocValuesField("revision_dv", product.Revision),
            new StoredField("source", JsonSerializer.Serialize(product, SearchJsonContext.Default.ProductSearchDocument)),
        };
    }

    static string Key(Guid id) => id.ToString("N");

    // Prices are indexed in cents; a filter bound between two cents is rounded inwards.
    static long Cents(decimal price, bool up) =>
        (long)(up ? decimal.Ceiling(price * 100m) : decimal.Floor(price * 100m));

    void CommitAndRefresh()
    {
        _writer.Commit();
        _searchers.MaybeRefreshBlocking();
    }

    void LoadRevisions()
    {
        var searcher = _searchers.Acquire();
        try
        {
            foreach (var leaf in searcher.IndexReader.Leaves)
            {
                var reader = leaf.AtomicReader;
                var revisions = reader.GetNumericDocValues("revision_dv");
                var live = reader.LiveDocs;
                if (revisions is null)
                    continue;
                var fields = new HashSet<string> { "id" };
                for (var doc = 0; doc < reader.MaxDoc; doc++)
                {
                    if (live is not null && !live.Get(doc))
                        continue;
                    _revisions[Guid.ParseExact(reader.Document(doc, fields).Get("id"), "N")] = revisions.Get(doc);
                }
            }
        }
        finally
        {
            _searchers.Release(searcher);
        }

        LogOpened(_logger, _revisions.Count);
    }

    void PruneSnapshots()
    {
        var now = Environment.TickCount64;
        if (now - Interlocked.Read(ref _lastPrune) < 1000)
            return;
        Interlocked.Exchange(ref _lastPrune, now);
        _snapshots.Prune(new SearcherLifetimeManager.PruneByAge(_cursorLifetime.TotalSeconds));
    }

    public void Dispose()
    {
        _snapshots.Dispose();
        _searchers.Dispose();
        _writer.Dispose();
        _analyzer.Dispose();
        _directory.Dispose();
        _writeLock.Dispose();
    }

    sealed class Bm25SearcherFactory : SearcherFactory
    {
        public override IndexSearcher NewSearcher(IndexReader reader) => new(reader) { Similarity = new BM25Similarity() };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Search index opened with {Products} products")]
    static partial void LogOpened(ILogger logger, int products);
}
