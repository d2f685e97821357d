using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace GlobalCommerce.Api.Tests.OpenApi;

public sealed class OpenApiDocumentTests : IDisposable
{
    // Operations anyone may call; every other one must declare the bearer requirement.
    static readonly HashSet<string> Anonymous =
    [
        "POST /api/auth/register", "POST /api/auth/login", "POST /api/auth/refresh", "GET /api/products", "GET /api/products/{id}", "GET /api/search", "GET /api/categories",
        "GET /api/erasures/{id}", "GET /.well-known/jwks.json", "GET /.well-known/openid-configuration",
        "GET /api/products/{id}/images", "GET /api/products/{id}/images/{imageId}", "GET /api/blobs/{container}/{name}",
    ];

    readonly ApiFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Every_operation_declares_its_security_its_success_schema_and_its_401()
    {
        var document = await _factory.CreateClient().GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");
        Assert.Equal(("http", "bearer"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("scheme").GetString()));
        var operations = Operations(document).ToList();
        Assert.Contains(operations, o => o.Name == "GET /api/orders");
        Assert.All(Anonymous, name => Assert.Contains(operations, o => o.Name == name));
        foreach (var (name, operation) in operations)
        {
            var requirements = operation.TryGetProperty("security", out var security) ? security.EnumerateArray().ToList() : [];
            var responses = operation.GetProperty("responses").EnumerateObject().ToList();
            if (Anonymous.Contains(name))
            {
                Assert.True(requirements.All(r => !r.EnumerateObject().Any()), $"{name} is anonymous but requires a scheme");
            }
            else
            {
                Assert.True(requirements.Any(r => r.TryGetProperty("Bearer", out _)), $"{name} declares no bearer requirement");
                Assert.True(responses.Any(r => r.Name == "401"), $"{name} does not list 401");
            }

            var success = responses.Where(r => r.Name.StartsWith('2')).ToList();
            Assert.True(success.Count > 0, $"{name} lists no 2xx response");
            Assert.True(success.Any(r => r.Name is "202" or "204" || HasSchema(r.Value)), $"{name} has no schema for its 2xx answer");
        }
    }

    [Fact]
    public async Task The_order_request_leaves_customerId_optional()
    {
        var document = await _factory.CreateClient().GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var request = document.GetProperty("components").GetProperty("schemas").GetProperty("SubmitOrderRequest");
        Assert.True(request.GetProperty("properties").TryGetProperty("customerId", out _));
        var required = request.TryGetProperty("required", out var list) ? list.EnumerateArray().Select(e => e.GetString()).ToList() : [];
        Assert.DoesNotContain("customerId", required);
    }

    [Theory]
    [InlineData("/api/orders")]
    [InlineData("/api/orders/00000000-0000-0000-0000-000000000001/cancel")]
    public async Task A_plain_text_body_gets_415_with_the_projects_problem_type(string path)
    {
        var client = await _factory.CreateShopperClientAsync();

        var response = await client.PostAsync(path, new StringContent("an order, please", Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("urn:globalcommerce:problem:unsupported-media-type", problem.GetProperty("type").GetString());
    }

    static IEnumerable<(string Name, JsonElement Operation)> Operations(JsonElement document) =>
        from path in document.GetProperty("paths").EnumerateObject()
        from operation in path.Value.EnumerateObject()
        where operation.Name is "get" or "post" or "put" or "delete" or "patch"
        select ($"{operation.Name.ToUpperInvariant()} {path.Name}", operation.Value);

    static bool HasSchema(JsonElement response) =>
        response.TryGetProperty("content", out var content) && content.EnumerateObject().Any(media => media.Value.TryGetProperty("schema", out _));
}
