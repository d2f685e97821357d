using System.Text.Json.Serialization;
using GlobalCommerce.Consumers.Catalog.Search.Lucene;

namespace GlobalCommerce.Consumers.Catalog.Search;

[JsonSerializable(typeof(ProductSearchDocument))]
[JsonSerializable(typeof(SearchResults))]
[JsonSerializable(typeof(SearchCursor.Wire))]
internal sealed partial class SearchJsonContext : JsonSerializerContext;
