using System.Text.Json.Serialization;
using Elastic.Clients.Elasticsearch.Analysis;
using Elastic.Clients.Elasticsearch.IndexManagement;
using Elastic.Clients.Elasticsearch.Mapping;

namespace GlobalCommerce.Consumers.Catalog.Search.Elasticsearch;

// The index as Elasticsearch holds it: an explicit, strict mapping (a field the code does not know is an error, not a
// guess), created on first use. Text fields that shoppers type against are folded but not stemmed, so a fuzzy match
// counts edits against the word as written (as the Lucene backend does); the description is prose and takes the
// English analyzer. Keywords used for facets and sorting keep their exact value; sku and the name's sort key are folded
// so case never decides order or a match.
internal static class ElasticsearchProductMapping
{
    public const string TextAnalyzer = "product_text";
    public const string KeyNormalizer = "product_key";

    // How long a delete's version is remembered: a replayed index of an older revision arriving within it is refused.
    // Elasticsearch's default is 60 s; the streams that feed the index can replay days-old events after an outage, and a
    // tombstone costs a few bytes.
    public const string DeleteTombstoneRetention = "1d";

    public static CreateIndexRequest CreateIndex(string indexName) => new(indexName)
    {
        Settings = new IndexSettings
        {
            GcDeletes = DeleteTombstoneRetention,
            Analysis = new IndexSettingsAnalysis
            {
                Analyzers = new Analyzers
                {
                    { TextAnalyzer, new CustomAnalyzer { Tokenizer = "standard", Filter = ["lowercase", "asciifolding"] } },
                },
                Normalizers = new Normalizers
                {
                    { KeyNormalizer, new CustomNormalizer { Filter = ["lowercase", "asciifolding"] } },
                },
            },
        },
        Mappings = new TypeMapping
        {
            Dynamic = DynamicMapping.Strict,
            Properties = new Properties
            {
                { "id", new KeywordProperty() },
                { "sku", new KeywordProperty { Normalizer = KeyNormalizer } },
                { "name", new TextProperty { Analyzer = TextAnalyzer, Fields = new Properties { { "raw", new KeywordProperty { Normalizer = KeyNormalizer, IgnoreAbove = 512 } } } } },
                { "brand", new KeywordProperty { Fields = new Properties { { "text", new TextProperty { Analyzer = TextAnalyzer } } } } },
                { "category", new KeywordProperty { Fields = new Properties { { "text", new TextProperty { Analyzer = TextAnalyzer } } } } },
                { "description", new TextProperty { Analyzer = "english" } },
                { "price", new ScaledFloatNumberProperty { ScalingFactor = 100 } },
                { "currency", new KeywordProperty() },
                { "inStock", new BooleanProperty() },
                { "imageIds", new KeywordProperty() },
                { "createdAt", new DateProperty() },
                { "revision", new LongNumberProperty() },
            },
        },
    };
}

// The _source of one product: the mapping's field names, spelled once here.
internal sealed class ElasticsearchProductSource
{
    [JsonPropertyName("id")]
    public Guid Id { get; set; }

    [JsonPropertyName("sku")]
    public string Sku { get; set; } = "";

    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [JsonPropertyName("brand")]
    public string Brand { get; set; } = "";

    [JsonPropertyName("category")]
    public string Category { get; set; } = "";

    [JsonPropertyName("description")]
    public string Description { get; set; } = "";

    [JsonPropertyName("price")]
    public decimal Price { get; set; }

    [JsonPropertyName("currency")]
    public string Currency { get; set; } = "";

    [JsonPropertyName("inStock")]
    public bool InStock { get; set; }

    [JsonPropertyName("imageIds")]
    public List<Guid> ImageIds { get; set; } = [];

    [JsonPropertyName("createdAt")]
    public DateTimeOffset CreatedAt { get; set; }

    [JsonPropertyName("revision")]
    public long Revision { get; set; }

    public static ElasticsearchProductSource From(ProductSearchDocument product) => new()
    {
        Id = product.Id,
        Sku = product.Sku,
        Name = product.Name,
        Brand = product.Brand,
        Category = product.Category,
        Description = product.Description,
        Price = product.Price,
        Currency = product.Currency,
        InStock = product.InStock,
        ImageIds = [.. product.ImageIds],
        CreatedAt = product.CreatedAt.ToUniversalTime(),
        Revision = product.Revision,
    };

    public ProductSearchDocument ToDocument() =>
        new(Id, Sku, Name, Brand, Category, Description, Price, Currency, InStock, ImageIds, CreatedAt, Revision);
}
