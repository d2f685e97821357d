using System.Security.Cryptography;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Blobs;

namespace GlobalCommerce.Consumers.Tests.Blobs;

public sealed class LocalBlobStoreTests : IDisposable
{
    const string Container = "product-images";
    readonly string _data = Path.Combine(Path.GetTempPath(), "gc-blob-tests", Guid.NewGuid().ToString("N"));
    readonly ManualClock _clock = new(new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero));
    readonly LocalBlobStore _store;

    public LocalBlobStoreTests() =>
        _store = new LocalBlobStore(Path.Combine(_data, "blobs"), new BlobUrlSigner(RandomNumberGenerator.GetBytes(32), _clock));

    public void Dispose()
    {
        if (Directory.Exists(_data))
            Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task A_blob_comes_back_with_its_type_length_etag_and_metadata_until_deleted()
    {
        await _store.PutAsync(Container, "products/p1/a.png", Bytes.Of("first"), "image/png", new Dictionary<string, string> { ["sha256"] = "abc" }, default);

        await using (var blob = await _store.GetAsync(Container, "products/p1/a.png", default))
        {
            Assert.NotNull(blob);
            Assert.Equal(("image/png", 5L, "abc"), (blob.ContentType, blob.Length, blob.Metadata["sha256"]));
            Assert.StartsWith("\"", blob.ETag);
            Assert.Equal("first", await Bytes.ReadAsync(blob.Content));
        }

        Assert.True(await _store.ExistsAsync(Container, "products/p1/a.png", default));
        Assert.True(await _store.DeleteAsync(Container, "products/p1/a.png", default));
        Assert.False(await _store.ExistsAsync(Container, "products/p1/a.png", default));
        Assert.Null(await _store.GetAsync(Container, "products/p1/a.png", default));
        Assert.False(await _store.DeleteAsync(Container, "products/p1/a.png", default));
        Assert.False(await _store.DeleteAsync(Container, "never/written/here.png", default));
    }

    [Fact]
    public async Task A_write_that_fails_half_way_leaves_the_previous_blob_and_no_partial_file()
    {
        await _store.PutAsync(Container, "products/p1/a.png", Bytes.Of("complete"), "image/png", null, default);

        await Assert.ThrowsAsync<IOException>(() => _store.PutAsync(Container, "products/p1/a.png", new FailingStream(100_000), "image/png", null, default));
        await Assert.ThrowsAsync<IOException>(() => _store.PutAsync(Container, "products/p1/b.png", new FailingStream(100_000), "image/png", null, default));

        await using var blob = await _store.GetAsync(Container, "products/p1/a.png", default);
        Assert.Equal("complete", await Bytes.ReadAsync(blob!.Content));
        Assert.False(await _store.ExistsAsync(Container, "products/p1/b.png", default));
        Assert.Equal(["a.png", "a.png#meta"], Directory.GetFiles(Path.Combine(_data, "blobs", Container, "products", "p1")).Select(Path.GetFileName).Order());
    }

    [Theory]
    [InlineData("../outside.png")]
    [InlineData("products/../../outside.png")]
    [InlineData("/etc/passwd")]
    [InlineData("products//a.png")]
    [InlineData(".hidden")]
    [InlineData("products/a.png#meta")]
    [InlineData("products\\..\\a.png")]
    [InlineData("products/a.png\n")]
    [InlineData("")]
    public async Task Names_that_could_leave_the_folder_or_clash_with_its_side_files_are_refused(string name)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _store.PutAsync(Container, name, Bytes.Of("x"), "image/png", null, default));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.GetAsync(Container, name, default));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.GetAsync("../blobs", "a.png", default));
        Assert.False(File.Exists(Path.Combine(_data, "outside.png")));
    }

    [Fact]
    public async Task A_read_url_is_signed_for_its_blob_and_expiry_only()
    {
        var signer = new BlobUrlSigner(RandomNumberGenerator.GetBytes(32), _clock);
        var read = signer.Sign(Container, "products/p1/a.png", TimeSpan.FromMinutes(5));
        var query = System.Web.HttpUtility.ParseQueryString(read.Url.OriginalString.Split('?')[1]);
        var (expires, signature) = (query["expires"], query["signature"]);

        Assert.StartsWith("/api/blobs/product-images/products/p1/a.png?", read.Url.OriginalString);
        Assert.Equal(_clock.Now.AddMinutes(5), read.ExpiresAt);
        Assert.Equal(SignedUrlCheck.Valid, signer.Check(Container, "products/p1/a.png", expires, signature));
        Assert.Equal(SignedUrlCheck.Invalid, signer.Check(Container, "products/p1/b.png", expires, signature));
        Assert.Equal(SignedUrlCheck.Invalid, signer.Check("other-images", "products/p1/a.png", expires, signature));
        Assert.Equal(SignedUrlCheck.Invalid, signer.Check(Container, "products/p1/a.png", (long.Parse(expires!) + 3600).ToString(), signature));
        Assert.Equal(SignedUrlCheck.Invalid, signer.Check(Container, "products/p1/a.png", expires, "not*base64"));
        Assert.Equal(SignedUrlCheck.Invalid, signer.Check(Container, "products/p1/a.png", expires, null));
        Assert.Equal(SignedUrlCheck.Invalid, new BlobUrlSigner(RandomNumberGenerator.GetBytes(32), _clock).Check(Container, "products/p1/a.png", expires, signature));
        _clock.Now = _clock.Now.AddMinutes(5);
        Assert.Equal(SignedUrlCheck.Expired, signer.Check(Container, "products/p1/a.png", expires, signature));
        await Task.CompletedTask;
    }

    [Fact]
    public void Without_a_configured_key_one_is_generated_once_in_the_data_folder_for_every_process_on_it()
    {
        var commerce = new CommerceOptions { DataDirectory = _data };

        var first = BlobUrlSigner.Create(new BlobOptions(), commerce, _clock);
        var second = BlobUrlSigner.Create(new BlobOptions(), commerce, _clock);
        var configured = BlobUrlSigner.Create(new BlobOptions { SigningKey = Convert.ToBase64String(new byte[32]) }, commerce, _clock);

        var url = first.Sign(Container, "a.png", TimeSpan.FromMinutes(1)).Url.OriginalString;
        var query = System.Web.HttpUtility.ParseQueryString(url.Split('?')[1]);
        Assert.Equal(SignedUrlCheck.Valid, second.Check(Container, "a.png", query["expires"], query["signature"]));
        Assert.Equal(SignedUrlCheck.Invalid, configured.Check(Container, "a.png", query["expires"], query["signature"]));
        var key = Assert.Single(Directory.GetFiles(_data));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
    }
}
