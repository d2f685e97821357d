using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace GlobalCommerce.Api.Tests.Catalog;

public static class ProductImageApi
{
    public static async Task<Guid> DemoProductIdAsync(this ApiFactory factory)
    {
        var products = await factory.CreateClient().GetFromJsonAsync<JsonElement>("/api/products", ApiFactory.Json);
        return products.EnumerateArray().First().GetProperty("id").GetGuid();
    }

    public static Task<HttpResponseMessage> UploadImageAsync(this HttpClient client, Guid productId, byte[] bytes, string contentType)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return client.PostAsync($"/api/products/{productId}/images", content);
    }

    public static async Task<JsonElement> UploadedAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"upload answered {response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    public static async Task<string?> ProblemTypeAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString();
    }
}
