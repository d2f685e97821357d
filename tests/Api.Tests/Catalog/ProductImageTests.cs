using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalCommerce.Api.Tests.Vendors;

namespace GlobalCommerce.Api.Tests.Catalog;

public sealed class ProductImageTests : IDisposable
{
    readonly ApiFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task A_png_is_stored_re_encoded_without_its_exif_and_served_with_its_etag()
    {
        var vendor = await _factory.DemoVendorAsync();
        var productId = await _factory.DemoProductIdAsync();
        var original = TestImages.Png(64, 48, withExif: true);
        Assert.NotNull(TestImages.Identify(original).Metadata.ExifProfile);

        var response = await vendor.UploadImageAsync(productId, original, "image/png");

        var image = await ProductImageApi.UploadedAsync(response);
        var imageId = image.GetProperty("id").GetGuid();
        Assert.Equal($"/api/products/{productId}/images/{imageId}", response.Headers.Location?.OriginalString);
        Assert.Equal(("image/png", 64, 48), (image.GetProperty("contentType").GetString(), image.GetProperty("width").GetInt32(),
            image.GetProperty("height").GetInt32()));

        var anonymous = _factory.CreateClient();
        var served = await anonymous.GetAsync($"/api/products/{productId}/images/{imageId}");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal("image/png", served.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", served.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.True(served.Headers.CacheControl?.Public);
        var bytes = await served.Content.ReadAsByteArrayAsync();
        Assert.NotEqual(original, bytes);
        var info = TestImages.Identify(bytes);
        Assert.Equal((64, 48), (info.Width, info.Height));
        Assert.Null(info.Metadata.ExifProfile);
        Assert.Equal($"\"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))}\"", served.Headers.ETag?.Tag);

        var revalidate = new HttpRequestMessage(HttpMethod.Get, $"/api/products/{productId}/images/{imageId}");
        revalidate.Headers.IfNoneMatch.Add(served.Headers.ETag!);
        var notModified = await anonymous.SendAsync(revalidate);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_jpeg_sent_as_a_multipart_file_is_stored_as_a_jpeg_without_its_exif()
    {
        var vendor = await _factory.DemoVendorAsync();
        var productId = await _factory.DemoProductIdAsync();
        var original = TestImages.Jpeg(80, 60, withExif: true);
        Assert.NotNull(TestImages.Identify(original).Metadata.ExifProfile);
        var file = new ByteArrayContent(original);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using var form = new MultipartFormDataContent { { new StringContent("a note"), "caption" }, { file, "file", "holiday.jpg" } };

        var image = await ProductImageApi.UploadedAsync(await vendor.PostAsync($"/api/products/{productId}/images", form));

        Assert.Equal("image/jpeg", image.GetProperty("contentType").GetString());
        var bytes = await _factory.CreateClient().GetByteArrayAsync(image.GetProperty("contentUrl").GetString());
        Assert.Equal([0xFF, 0xD8, 0xFF], bytes[..3]);
        Assert.Null(TestImages.Identify(bytes).Metadata.ExifProfile);
    }

    [Fact]
    public async Task A_webp_sent_as_plain_bytes_is_recognised_by_its_content()
    {
        var vendor = await _factory.DemoVendorAsync();

        var image = await ProductImageApi.UploadedAsync(
            await vendor.UploadImageAsync(await _factory.DemoProductIdAsync(), TestImages.Webp(40, 30), "application/octet-stream"));

        Assert.Equal(("image/webp", 40, 30), (image.GetProperty("contentType").GetString(), image.GetProperty("width").GetInt32(),
            image.GetProperty("height").GetInt32()));
        var served = await _factory.CreateClient().GetAsync(image.GetProperty("contentUrl").GetString());
        Assert.Equal("image/webp", served.Content.Headers.ContentType?.MediaType);
        var info = TestImages.Identify(await served.Content.ReadAsByteArrayAsync());
        Assert.Equal((40, 30), (info.Width, info.Height));
    }

    [Fact]
    public async Task Text_sent_as_a_png_gets_415()
    {
        var vendor = await _factory.DemoVendorAsync();

        var response = await vendor.UploadImageAsync(await _factory.DemoProductIdAsync(), TestImages.Text, "image/png");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("urn:globalcommerce:problem:unsupported-media-type", await ProductImageApi.ProblemTypeAsync(response));
    }

    [Fact]
    public async Task A_png_declared_as_a_jpeg_gets_415()
    {
        var vendor = await _factory.DemoVendorAsync();

        var response = await vendor.UploadImageAsync(await _factory.DemoProductIdAsync(), TestImages.Png(), "image/jpeg");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Theory]
    [InlineData("image/png")]
    [InlineData("image/jpeg")]
    public async Task A_truncated_image_gets_400_and_nothing_is_stored(string type)
    {
        var vendor = await _factory.DemoVendorAsync();
        var productId = await _factory.DemoProductIdAsync();
        var bytes = type == "image/png" ? TestImages.Png(300, 300, noise: true) : TestImages.Jpeg(300, 300);

        var response = await vendor.UploadImageAsync(productId, bytes[..(bytes.Length * 3 / 4)], type);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("urn:globalcommerce:problem:invalid-image", await ProductImageApi.ProblemTypeAsync(response));
        Assert.Empty((await _factory.CreateClient().GetFromJsonAsync<JsonElement>($"/api/products/{productId}/images")).EnumerateArray());
    }

    [Theory]
    [InlineData(8001, 10)]
    [InlineData(7000, 7000)]
    public async Task A_header_claiming_huge_dimensions_gets_400_before_it_is_decoded(int width, int height)
    {
        var vendor = await _factory.DemoVendorAsync();

        var response = await vendor.UploadImageAsync(await _factory.DemoProductIdAsync(), TestImages.PngClaiming(width, height), "image/png");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("urn:globalcommerce:problem:image-too-large", await ProductImageApi.ProblemTypeAsync(response));
    }

    [Fact]
    public async Task Uploads_need_a_token_and_the_vendor_or_admin_role()
    {
        var productId = await _factory.DemoProductIdAsync();

        var anonymous = await _factory.CreateClient().UploadImageAsync(productId, TestImages.Png(), "image/png");
        var shopper = await (await _factory.CreateShopperClientAsync()).UploadImageAsync(productId, TestImages.Png(), "image/png");
        var admin = await (await _factory.CreateClientAsAsync("admin@demo.local")).UploadImageAsync(productId, TestImages.Png(), "image/png");

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, shopper.StatusCode);
        await ProductImageApi.UploadedAsync(admin);
    }

    [Fact]
    public async Task Another_vendors_product_answers_404_as_if_missing()
    {
        var (other, _, _) = await _factory.OtherVendorAsync();
        var productId = await _factory.DemoProductIdAsync();
        var image = await ProductImageApi.UploadedAsync(await (await _factory.DemoVendorAsync()).UploadImageAsync(productId, TestImages.Png(), "image/png"));

        var upload = await other.UploadImageAsync(productId, TestImages.Png(), "image/png");
        var delete = await other.DeleteAsync($"/api/products/{productId}/images/{image.GetProperty("id").GetGuid()}");

        Assert.Equal(HttpStatusCode.NotFound, upload.StatusCode);
        Assert.Equal("urn:globalcommerce:problem:not-found", await ProductImageApi.ProblemTypeAsync(upload));
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
    }

    [Fact]
    public async Task The_listed_read_url_works_until_it_expires_and_not_when_altered()
    {
        using var factory = new ApiFactory(new Dictionary<string, string?> { ["Commerce:Blobs:ReadUrlLifetime"] = "00:00:02" });
        var vendor = await factory.DemoVendorAsync();
        var productId = await factory.DemoProductIdAsync();
        await ProductImageApi.UploadedAsync(await vendor.UploadImageAsync(productId, TestImages.Png(), "image/png"));
        var anonymous = factory.CreateClient();

        var listed = (await anonymous.GetFromJsonAsync<JsonElement>($"/api/products/{productId}/images")).EnumerateArray().Single();
        var url = listed.GetProperty("url").GetString()!;
        var fresh = await anonymous.GetAsync(url);
        var tampered = await anonymous.GetAsync(url.Replace("expires=", "expires=9", StringComparison.Ordinal));
        var renamed = await anonymous.GetAsync(url.Replace(".png?", ".jpg?", StringComparison.Ordinal));
        await Task.Delay(TimeSpan.FromSeconds(3));
        var expired = await anonymous.GetAsync(url);

        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        Assert.Equal("image/png", fresh.Content.Headers.ContentType?.MediaType);
        Assert.Equal(listed.GetProperty("sha256").GetString(),
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await fresh.Content.ReadAsByteArrayAsync())));
        foreach (var refused in new[] { tampered, renamed, expired })
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("urn:globalcommerce:problem:invalid-signed-url", await ProductImageApi.ProblemTypeAsync(refused));
        }
    }

    [Fact]
    public async Task Deleting_an_image_removes_its_row_and_its_blob()
    {
        var vendor = await _factory.DemoVendorAsync();
        var productId = await _factory.DemoProductIdAsync();
        var image = await ProductImageApi.UploadedAsync(await vendor.UploadImageAsync(productId, TestImages.Png(), "image/png"));
        var anonymous = _factory.CreateClient();
        var url = (await anonymous.GetFromJsonAsync<JsonElement>($"/api/products/{productId}/images")).EnumerateArray().Single()
            .GetProperty("url").GetString()!;

        var deleted = await vendor.DeleteAsync(image.GetProperty("contentUrl").GetString());

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(image.GetProperty("contentUrl").GetString())).StatusCode);
        Assert.Empty((await anonymous.GetFromJsonAsync<JsonElement>($"/api/products/{productId}/images")).EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(url)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await vendor.DeleteAsync(image.GetProperty("contentUrl").GetString())).StatusCode);
    }

    [Fact]
    public async Task A_product_takes_at_most_ten_images_listed_in_upload_order()
    {
        var vendor = await _factory.DemoVendorAsync();
        var productId = await _factory.DemoProductIdAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 10; i++)
            ids.Add((await ProductImageApi.UploadedAsync(await vendor.UploadImageAsync(productId, TestImages.Png(8 + i, 8), "image/png"))).GetProperty("id").GetGuid());

        var eleventh = await vendor.UploadImageAsync(productId, TestImages.Png(), "image/png");

        Assert.Equal(HttpStatusCode.Conflict, eleventh.StatusCode);
        Assert.Equal("urn:globalcommerce:problem:too-many-images", await ProductImageApi.ProblemTypeAsync(eleventh));
        var listed = await _factory.CreateClient().GetFromJsonAsync<JsonElement>($"/api/products/{productId}/images");
        Assert.Equal(ids, listed.EnumerateArray().Select(image => image.GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task Images_of_an_unknown_product_answer_404()
    {
        var missing = Guid.NewGuid();

        var list = await _factory.CreateClient().GetAsync($"/api/products/{missing}/images");
        var upload = await (await _factory.CreateClientAsAsync("admin@demo.local")).UploadImageAsync(missing, TestImages.Png(), "image/png");

        Assert.Equal(HttpStatusCode.NotFound, list.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, upload.StatusCode);
    }
}

public sealed class ProductImageLimitTests : IDisposable
{
    readonly ApiFactory _factory = new(new Dictionary<string, string?> { ["Commerce:Catalog:Images:MaxBytes"] = "4096" });

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task An_image_over_the_size_limit_gets_413_whether_or_not_its_length_is_announced()
    {
        var vendor = await _factory.DemoVendorAsync();
        var productId = await _factory.DemoProductIdAsync();
        var big = TestImages.Png(200, 200, noise: true);
        Assert.True(big.Length > 4096 + 64 * 1024);
        var justOver = TestImages.Png(40, 40, noise: true);
        Assert.InRange(justOver.Length, 4097, 64 * 1024);
        var multipart = new ByteArrayContent(justOver);
        multipart.Headers.ContentType = new MediaTypeHeaderValue("image/png");

        var announced = await vendor.UploadImageAsync(productId, big, "image/png");
        var counted = await vendor.UploadImageAsync(productId, justOver, "image/png");
        var inForm = await vendor.PostAsync($"/api/products/{productId}/images", new MultipartFormDataContent { { multipart, "file", "a.png" } });

        foreach (var response in new[] { announced, counted, inForm })
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Equal("urn:globalcommerce:problem:payload-too-large", await ProductImageApi.ProblemTypeAsync(response));
        }

        await ProductImageApi.UploadedAsync(await vendor.UploadImageAsync(productId, TestImages.Png(8, 8), "image/png"));
    }
}
