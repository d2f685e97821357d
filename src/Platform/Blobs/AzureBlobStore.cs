using System.Collections.Concurrent;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;

namespace GlobalCommerce.Platform.Blobs;

// Real mode's store: Azure Blob Storage (Azurite in tests). Containers are created private on first use, never with
// public access; clients read through short-lived read-only service SAS URLs when the credential holds the account
// key, and otherwise through our own API's signed URLs.
public sealed class AzureBlobStore(BlobServiceClient service, BlobUrlSigner signer, TimeProvider clock) : IBlobStore
{
    readonly ConcurrentDictionary<string, Lazy<Task<BlobContainerClient>>> _containers = new();

    public async Task PutAsync(string container, string name, Stream content, string contentType, IReadOnlyDictionary<string, string>? metadata,
        CancellationToken cancellationToken)
    {
        var blob = await BlobAsync(container, name, cancellationToken);
        await blob.UploadAsync(content, new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
            Metadata = metadata is null ? null : new Dictionary<string, string>(metadata),
        }, cancellationToken);
    }

    public async Task<BlobContent?> GetAsync(string container, string name, CancellationToken cancellationToken)
    {
        var blob = await BlobAsync(container, name, cancellationToken);
        try
        {
            var download = (await blob.DownloadStreamingAsync(cancellationToken: cancellationToken)).Value;
            var details = download.Details;
            return new BlobContent(download.Content, details.ContentType ?? "application/octet-stream", details.ContentLength,
                details.ETag.ToString("H"), details.Metadata is null ? new Dictionary<string, string>() : new Dictionary<string, string>(details.Metadata));
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return null;
        }
    }

    public async Task<bool> DeleteAsync(string container, string name, CancellationToken cancellationToken) =>
        (await (await BlobAsync(container, name, cancellationToken))
            .DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken)).Value;

    public async Task<bool> ExistsAsync(string container, string name, CancellationToken cancellationToken) =>
        (await (await BlobAsync(container, name, cancellationToken)).ExistsAsync(cancellationToken)).Value;

    // A service SAS (signed with the account key, no user delegation): read only, for this one blob, until it expires.
    public BlobReadUrl GetReadUrl(string container, string name, TimeSpan lifetime)
    {
        BlobNames.Validate(container, name);
        var blob = service.GetBlobContainerClient(container).GetBlobClient(name);
        if (!blob.CanGenerateSasUri)
            return signer.Sign(container, name, lifetime);
        var expires = clock.GetUtcNow().Add(lifetime);
        expires = DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds());
        return new BlobReadUrl(blob.GenerateSasUri(BlobSasPermissions.Read, expires), expires);
    }

    async Task<BlobClient> BlobAsync(string container, string name, CancellationToken cancellationToken)
    {
        BlobNames.Validate(container, name);
        var created = _containers.GetOrAdd(container, c => new Lazy<Task<BlobContainerClient>>(() => CreateAsync(c)));
        if (created.Value.IsFaulted || created.Value.IsCanceled)
            _containers.TryRemove(new KeyValuePair<string, Lazy<Task<BlobContainerClient>>>(container, created));
        return (await created.Value.WaitAsync(cancellationToken)).GetBlobClient(name);
    }

    // PublicAccessType.None: a blob's URL without a SAS is refused; an existing container keeps its access as it is.
    async Task<BlobContainerClient> CreateAsync(string container)
    {
        var client = service.GetBlobContainerClient(container);
        await client.CreateIfNotExistsAsync(PublicAccessType.None);
        return client;
    }
}
