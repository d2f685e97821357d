using Microsoft.Extensions.Configuration;

namespace GlobalCommerce.Consumers.Catalog.Search.Elasticsearch;

// Commerce:Search:Elasticsearch. ApiKey is a secret: it comes from a secret store or the environment
// (Commerce__Search__Elasticsearch__ApiKey), never from appsettings.json, and nothing here writes it to a log.
public sealed class ElasticsearchSearchOptions
{
    public const string Section = "Commerce:Search:Elasticsearch";

    public Uri? Url { get; set; }

    // The encoded API key Elasticsearch returns on creation (base64 of "id:key"), sent as "Authorization: ApiKey ...".
    public string? ApiKey { get; set; }

    public string IndexName { get; set; } = "products";

    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public static ElasticsearchSearchOptions From(IConfiguration configuration)
    {
        var options = new ElasticsearchSearchOptions();
        configuration.GetSection(Section).Bind(options);
        options.Validate();
        return options;
    }

    public void Validate()
    {
        if (Url is null || !Url.IsAbsoluteUri || (Url.Scheme != Uri.UriSchemeHttp && Url.Scheme != Uri.UriSchemeHttps))
            throw new InvalidOperationException($"{Section}:Url must be the cluster's absolute http(s) address, e.g. http://127.0.0.1:9200.");
        // Credentials in the address would travel into exception messages and logs with it.
        if (!string.IsNullOrEmpty(Url.UserInfo))
            throw new InvalidOperationException($"{Section}:Url must not carry credentials; set {Section}:ApiKey instead.");
        if (string.IsNullOrWhiteSpace(IndexName) || IndexName != IndexName.ToLowerInvariant() || IndexName.StartsWith('_'))
            throw new InvalidOperationException($"{Section}:IndexName must be a lowercase Elasticsearch index name.");
        if (RequestTimeout <= TimeSpan.Zero)
            throw new InvalidOperationException($"{Section}:RequestTimeout must be positive.");
    }
}
