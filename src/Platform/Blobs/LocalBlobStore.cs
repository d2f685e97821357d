using System.Security.Cryptography;
using System.Text.Json;

namespace GlobalCommerce.Platform.Blobs;

// The embedded default's store: <root>/<container>/<name>, and beside each blob a side file "<name>#meta" with its
// content type, ETag and metadata ('#' is outside the names BlobNames accepts, so no blob can collide with one). Writes
// go to a temporary file in the same folder and are renamed into place, so a reader never sees half a blob.
public sealed class LocalBlobStore(string root, BlobUrlSigner signer) : IBlobStore
{
    const string MetaSuffix = "#meta";
    readonly string _root = Path.GetFullPath(root);

    public async Task PutAsync(string container, string name, Stream content, string contentType, IReadOnlyDictionary<string, string>? metadata,
        CancellationToken cancellationToken)
    {
        var path = PathOf(container, name);
        var folder = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(folder);
        var temporary = Path.Combine(folder, $"{Path.GetFileName(path)}#{Guid.NewGuid():N}.tmp");
        var temporaryMeta = temporary + MetaSuffix;
        try
        {
            string eTag;
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[81920];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }

                await file.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
                eTag = $"\"{Convert.ToHexStringLower(hash.GetHashAndReset())[..32]}\"";
            }

            var meta = new BlobMeta(contentType, eTag, metadata is null ? [] : new Dictionary<string, string>(metadata));
            await File.WriteAllBytesAsync(temporaryMeta, JsonSerializer.SerializeToUtf8Bytes(meta), cancellationToken);
            // The content first: a reader that finds the new content with the previous side file gets the previous type
            // for a moment, which only an overwrite can cause; the product images never overwrite a name.
            File.Move(temporary, path, overwrite: true);
            File.Move(temporaryMeta, path + MetaSuffix, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
            File.Delete(temporaryMeta);
        }
    }

    public async Task<BlobContent?> GetAsync(string container, string name, CancellationToken cancellationToken)
    {
        var path = PathOf(container, name);
        FileStream file;
        try
        {
            // FileShare.Delete: a blob deleted or replaced while it is being served keeps streaming its old bytes.
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920, useAsync: true);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        BlobMeta? meta = null;
        try
        {
            meta = JsonSerializer.Deserialize<BlobMeta>(await File.ReadAllBytesAsync(path + MetaSuffix, cancellationToken));
        }
        // Written after the content: a blob caught between the two moves is served as bytes of no known type.
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException or JsonException)
        {
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }

        return new BlobContent(file, meta?.ContentType ?? "application/octet-stream", file.Length,
            meta?.ETag ?? $"\"{File.GetLastWriteTimeUtc(path).Ticks:x}-{file.Length:x}\"", meta?.Metadata ?? new Dictionary<string, string>());
    }

    public Task<bool> DeleteAsync(string container, string name, CancellationToken cancellationToken)
    {
        var path = PathOf(container, name);
        var existed = File.Exists(path);
        if (existed)
            File.Delete(path);
        if (File.Exists(path + MetaSuffix))
            File.Delete(path + MetaSuffix);
        return Task.FromResult(existed);
    }

    public Task<bool> ExistsAsync(string container, string name, CancellationToken cancellationToken) =>
        Task.FromResult(File.Exists(PathOf(container, name)));

    public BlobReadUrl GetReadUrl(string container, string name, TimeSpan lifetime) => signer.Sign(container, name, lifetime);

    // Validated names cannot leave the root; the check below holds even if that validation is ever loosened.
    string PathOf(string container, string name)
    {
        BlobNames.Validate(container, name);
        var path = Path.GetFullPath(Path.Combine(_root, container, name));
        if (!path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException("The blob name leaves the store's folder.", nameof(name));
        return path;
    }

    sealed record BlobMeta(string ContentType, string ETag, Dictionary<string, string> Metadata);
}
