using System.Net;
using System.Security.Cryptography;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Platform.Blobs;

namespace GlobalCommerce.Consumers.Tests.Blobs;

// The Azure store against Azurite, each test in a container of its own.
public sealed class AzureBlobStoreTests
{
    readonly string _container = "test-" + Guid.NewGuid().ToString("N");
    readonly BlobUrlSigner _signer = new(RandomNumberGenerator.GetBytes(32), TimeProvider.System);

    AzureBlobStore Store(BlobServiceClient? service = null) =>
        new(service ?? new BlobServiceClient(AzuriteFactAttribute.Connection), _signer, TimeProvider.System);

    [AzuriteFact]
    public async Task A_blob_is_put_read_through_its_sas_url_and_deleted()
    {
        var store = Store();
        await store.PutAsync(_container, "products/p1/a.png", Bytes.Of("pixels"), "image/png", new Dictionary<string, string> { ["sha256"] = "abc" }, default);

        await using (var blob = await store.GetAsync(_container, "products/p1/a.png", default))
        {
            Assert.NotNull(blob);
            Assert.Equal(("image/png", 6L, "abc"), (blob.ContentType, blob.Length, blob.Metadata["sha256"]));
            Assert.StartsWith("\"", blob.ETag);
            Assert.Equal("pixels", await Bytes.ReadAsync(blob.Content));
        }

        var read = store.GetReadUrl(_container, "products/p1/a.png", TimeSpan.FromMinutes(5));
        Assert.True(read.Url.IsAbsoluteUri);
        Assert.Contains("sig=", read.Url.Query);
        Assert.Contains("sp=r", read.Url.Query);
        using var http = new HttpClient();
        var fetched = await http.GetAsync(read.Url);
        Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
        Assert.Equal("pixels", await fetched.Content.ReadAsStringAsync());
        Assert.Equal("image/png", fetched.Content.Headers.ContentType?.MediaType);
        var overwrite = await http.PutAsync(read.Url, new ByteArrayContent("other"u8.ToArray()) { Headers = { { "x-ms-blob-type", "BlockBlob" } } });
        Assert.Equal(HttpStatusCode.Forbidden, overwrite.StatusCode);

        Assert.True(await store.ExistsAsync(_container, "products/p1/a.png", default));
        Assert.True(await store.DeleteAsync(_container, "products/p1/a.png", default));
        Assert.False(await store.ExistsAsync(_container, "products/p1/a.png", default));
        Assert.Null(await store.GetAsync(_container, "products/p1/a.png", default));
        Assert.False(await store.DeleteAsync(_container, "products/p1/a.png", default));
        Assert.NotEqual(HttpStatusCode.OK, (await http.GetAsync(read.Url)).StatusCode);
    }

    [AzuriteFact]
    public async Task The_container_is_created_private_so_a_blob_url_without_a_sas_is_refused()
    {
        var service = new BlobServiceClient(AzuriteFactAttribute.Connection);
        await Store(service).PutAsync(_container, "a.png", Bytes.Of("pixels"), "image/png", null, default);
        var container = service.GetBlobContainerClient(_container);

        using var http = new HttpClient();
        var blob = await http.GetAsync(container.GetBlobClient("a.png").Uri);
        var listing = await http.GetAsync(new Uri(container.Uri + "?restype=container&comp=list"));

        Assert.Equal(PublicAccessType.None, (await container.GetAccessPolicyAsync()).Value.BlobPublicAccess);
        Assert.Contains(blob.StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.Conflict, HttpStatusCode.Forbidden });
        Assert.Contains(listing.StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.Conflict, HttpStatusCode.Forbidden });
    }

    [AzuriteFact]
    public async Task A_sas_url_stops_working_when_it_expires()
    {
        var store = Store();
        await store.PutAsync(_container, "a.png", Bytes.Of("pixels"), "image/png", null, default);

        var read = store.GetReadUrl(_container, "a.png", TimeSpan.FromSeconds(2));
        await Task.Delay(TimeSpan.FromSeconds(3.5));

        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(read.Url)).StatusCode);
    }

    // A client without the account key (a token credential, a SAS connection string) cannot sign a SAS: its read URLs
    // are our API's own signed ones.
    [Fact]
    public void Without_the_account_key_read_urls_are_the_apis_own()
    {
        var store = Store(new BlobServiceClient(new Uri("http://127.0.0.1:9/devstoreaccount1")));

        var read = store.GetReadUrl("product-images", "products/p1/a.png", TimeSpan.FromMinutes(5));

        Assert.False(read.Url.IsAbsoluteUri);
        Assert.StartsWith(BlobUrlSigner.PathPrefix + "product-images/products/p1/a.png?expires=", read.Url.OriginalString);
    }
}
