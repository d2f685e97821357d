using GlobalCommerce.Consumers.Catalog.Search;
using GlobalCommerce.Consumers.Catalog.Search.Elasticsearch;
using GlobalCommerce.Consumers.Catalog.Search.Lucene;
using GlobalCommerce.Platform;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Consumers.Tests.Catalog.Search;

// Commerce:Search:Backend picks the index every search host uses.
public sealed class SearchRegistrationTests
{
    [Theory]
    [InlineData(null, typeof(LuceneProductIndex))]
    [InlineData("Elasticsearch", typeof(ElasticsearchProductIndex))]
    public async Task The_configured_backend_is_the_search_index(string? backend, Type expected)
    {
        var data = Path.Combine(Path.GetTempPath(), "gc-search-registration", Guid.NewGuid().ToString("N"));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Commerce:DataDirectory"] = data,
            ["Commerce:Search:Backend"] = backend,
            ["Commerce:Search:Elasticsearch:Url"] = "http://127.0.0.1:9",
        }).Build();
        var services = new ServiceCollection().AddLogging(logging => logging.ClearProviders()).AddSingleton<IConfiguration>(configuration);
        services.AddProductSearch(configuration, CommerceOptions.From(configuration));
        try
        {
            await using (var provider = services.BuildServiceProvider())
                Assert.IsType(expected, provider.GetRequiredService<IProductSearchIndex>());
        }
        finally
        {
            if (Directory.Exists(data))
                Directory.Delete(data, recursive: true);
        }
    }
}
