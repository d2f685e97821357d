namespace GlobalCommerce.Platform.Blobs;

// Commerce:Blobs. AzureConnectionString and SigningKey are secrets: they come from the environment or a secret store,
// never appsettings.json, and nothing here logs them.
public sealed class BlobOptions
{
    public const string Section = "Commerce:Blobs";

    public BlobStoreKind Store { get; set; } = BlobStoreKind.Local;

    // The local store's folder; <DataDirectory>/blobs when unset.
    public string? Directory { get; set; }

    public string? AzureConnectionString { get; set; }

    // How long a read URL handed to a client works.
    public TimeSpan ReadUrlLifetime { get; set; } = TimeSpan.FromMinutes(5);

    // Base64 of at least 32 bytes: signs the read URLs our own API serves (the local store, or Azure without an account
    // key). When unset, one is generated once and kept in the data folder, so every process on that folder agrees.
    public string? SigningKey { get; set; }

    public static BlobOptions From(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        var options = new BlobOptions();
        Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(configuration.GetSection(Section), options);
        if (options.ReadUrlLifetime <= TimeSpan.Zero || options.ReadUrlLifetime > TimeSpan.FromDays(7))
            throw new InvalidOperationException($"{Section}:ReadUrlLifetime must be more than zero and at most 7 days.");
        if (options.Store == BlobStoreKind.Azure && string.IsNullOrWhiteSpace(options.AzureConnectionString))
            throw new InvalidOperationException($"{Section}:Store is Azure but {Section}:AzureConnectionString is not set.");
        return options;
    }

    public override string ToString() => $"Store={Store}, ReadUrlLifetime={ReadUrlLifetime}";
}

public enum BlobStoreKind
{
    Local,
    Azure,
}
