namespace GlobalCommerce.Platform.Blobs;

// Where the platform keeps files that are not rows: product images now; invoices, exports and models later. One
// implementation per mode (BlobOptions.Store): a folder on the embedded default, Azure Blob Storage in real mode.
public interface IBlobStore
{
    // Creates or replaces the blob. A reader sees the old content or the new, never a part of either.
    Task PutAsync(string container, string name, Stream content, string contentType, IReadOnlyDictionary<string, string>? metadata,
        CancellationToken cancellationToken);

    // Null when there is no such blob. The caller disposes the content.
    Task<BlobContent?> GetAsync(string container, string name, CancellationToken cancellationToken);

    // False when there was nothing to delete.
    Task<bool> DeleteAsync(string container, string name, CancellationToken cancellationToken);

    Task<bool> ExistsAsync(string container, string name, CancellationToken cancellationToken);

    // A URL anyone may GET until it expires, and only GET. Relative (a path of our own API) when the store cannot sign one
    // its service would honour: the caller makes it absolute against the request's address.
    BlobReadUrl GetReadUrl(string container, string name, TimeSpan lifetime);
}

public sealed class BlobContent(Stream content, string contentType, long length, string eTag, IReadOnlyDictionary<string, string> metadata)
    : IAsyncDisposable, IDisposable
{
    public Stream Content { get; } = content;

    public string ContentType { get; } = contentType;

    public long Length { get; } = length;

    // Quoted, as the ETag header carries it.
    public string ETag { get; } = eTag;

    public IReadOnlyDictionary<string, string> Metadata { get; } = metadata;

    public ValueTask DisposeAsync() => Content.DisposeAsync();

    public void Dispose() => Content.Dispose();
}

public sealed record BlobReadUrl(Uri Url, DateTimeOffset ExpiresAt);
