using GlobalCommerce.Platform;
using Microsoft.Extensions.Configuration;

namespace GlobalCommerce.Consumers.Catalog.Search;

// Commerce:Search. Lucene.Net on this host's disk unless an Elasticsearch cluster is chosen.
public sealed class SearchOptions
{
    public const string Section = "Commerce:Search";

    public SearchBackend Backend { get; set; } = SearchBackend.Lucene;

    // The Lucene index folder (default: DataDirectory/search/lucene). One host per folder: Lucene locks it.
    public string? IndexPath { get; set; }

    // Names this search host's consumer group on product-events ("search-" + it); default: derived from the machine name
    // and the index folder, so two hosts on one machine with their own folders do not share a group.
    public string? HostName { get; set; }

    // How long a cursor resumes on the snapshot its first page was read from.
    public TimeSpan CursorLifetime { get; set; } = TimeSpan.FromMinutes(5);

    // An empty index is rebuilt from product_db when the host starts (a new host, a lost folder).
    public bool RebuildWhenEmpty { get; set; } = true;

    public string IndexPathOf(CommerceOptions commerce) =>
        Path.GetFullPath(IndexPath ?? Path.Combine(Path.GetFullPath(commerce.DataDirectory), "search", "lucene"));

    public static SearchOptions From(IConfiguration configuration)
    {
        var options = new SearchOptions();
        configuration.GetSection(Section).Bind(options);
        return options;
    }
}

public enum SearchBackend
{
    Lucene,
    Elasticsearch,
}
