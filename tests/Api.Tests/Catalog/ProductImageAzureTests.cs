using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalCommerce.Api.Tests.Vendors;

namespace GlobalCommerce.Api.Tests.Catalog;

// Against the Azurite scripts/test.sh starts (GC_TEST_AZURITE). Without it these are skipped, except on CI where a
// missing emulator is a failure.
public sealed class AzuriteFactAttribute : FactAttribute
{
    public static string? Connection => Environment.GetEnvironmentVariable("GC_TEST_AZURITE");

    public AzuriteFactAttribute()
    {
        if (string.IsNullOrEmpty(Connection) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
            Skip = "GC_TEST_AZURITE is not set: run the suite with scripts/test.sh";
    }
}

public sealed class ProductImageAzureTests
{
    [AzuriteFact]
    public async Task On_azure_an_image_is_listed_with_a_sas_url_that_serves_it_until_deleted()
    {
        using var factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["Commerce:Blobs:Store"] = "Azure",
            ["Commerce:Blobs:AzureConnectionString"] = AzuriteFactAttribute.Connection,
        });
        var vendor = await factory.DemoVendorAsync();
        var productId = await factory.DemoProductIdAsync();
        var image = await ProductImageApi.UploadedAsync(await vendor.UploadImageAsync(productId, TestImages.Png(32, 32, withExif: true), "image/png"));

        var listed = (await factory.CreateClient().GetFromJsonAsync<JsonElement>($"/api/products/{productId}/images")).EnumerateArray().Single();
        var url = new Uri(listed.GetProperty("url").GetString()!);
        using var outside = new HttpClient();
        var fetched = await outside.GetAsync(url);
        var unsigned = await outside.GetAsync(url.GetLeftPart(UriPartial.Path));

        Assert.Contains("sig=", url.Query);
        Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
        var bytes = await fetched.Content.ReadAsByteArrayAsync();
        Assert.Equal(image.GetProperty("sha256").GetString(), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
        Assert.Null(TestImages.Identify(bytes).Metadata.ExifProfile);
        Assert.NotEqual(HttpStatusCode.OK, unsigned.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await factory.CreateClient().GetAsync(image.GetProperty("contentUrl").GetString())).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await vendor.DeleteAsync(image.GetProperty("contentUrl").GetString())).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await outside.GetAsync(url)).StatusCode);
    }
}
