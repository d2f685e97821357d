using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GlobalCommerce.Api.Http;
using GlobalCommerce.Api.Orders;

namespace GlobalCommerce.Api.Tests.Http;

// Every endpoint that takes JSON bounds its body: an oversized one is refused with 413 problem details, never parsed,
// never a 500.
public sealed class RequestBodyLimitTests : IDisposable
{
    readonly ApiFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Every_json_endpoint_refuses_an_oversized_body_with_413_problem_details()
    {
        var client = await _factory.CreateShopperClientAsync();
        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var endpoints = JsonEndpoints(document).ToList();
        Assert.Contains(endpoints, e => e is { Method: "POST", Path: "/api/orders", Limit: OrderEndpoints.MaxOrderBodyBytes });
        Assert.Contains(endpoints, e => e is { Method: "POST", Path: "/api/auth/login" });

        foreach (var (method, path, limit) in endpoints)
        {
            // Past the endpoint's stated limit (a megabyte at least, as a client might send).
            var oversized = UnknownFields(bytes: (int)Math.Max(1024 * 1024, limit + 1024));
            using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal))
            {
                Content = new ByteArrayContent(oversized) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
            };
            var response = await client.SendAsync(request);

            Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"{method} {path} answered {response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("urn:globalcommerce:problem:payload-too-large", problem.GetProperty("type").GetString());
        }
    }

    [Theory]
    [InlineData(10)]
    [InlineData(40)]
    public async Task An_order_body_of_unknown_length_is_cut_off_at_the_limit_with_413(int megabytes)
    {
        var client = await _factory.CreateShopperClientAsync();
        // No Content-Length: the limit can only be enforced while reading.
        var streamed = new StreamContent(new UnseekableStream(UnknownFields(bytes: megabytes * 1024 * 1024)));
        streamed.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var response = await client.PostAsync("/api/orders", streamed);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("urn:globalcommerce:problem:payload-too-large", problem.GetProperty("type").GetString());
    }

    static IEnumerable<(string Method, string Path, long Limit)> JsonEndpoints(JsonElement document)
    {
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                if (operation.Value.TryGetProperty("requestBody", out var body)
                    && body.GetProperty("content").EnumerateObject().Any(type => type.Name.Contains("json", StringComparison.Ordinal)))
                    yield return (operation.Name.ToUpperInvariant(), path.Name, operation.Value.GetProperty(RequestBodyLimits.OpenApiExtension).GetInt64());
            }
        }
    }

    // A valid JSON object whose size is all fields no endpoint knows.
    static byte[] UnknownFields(int bytes)
    {
        var json = new StringBuilder("{");
        for (var i = 0; json.Length < bytes; i++)
            json.Append($"\"unknown{i}\":\"{new string('x', 100)}\",");
        json.Append("\"end\":0}");
        return Encoding.UTF8.GetBytes(json.ToString());
    }

    sealed class UnseekableStream(byte[] content) : MemoryStream(content)
    {
        public override bool CanSeek => false;
    }
}
