using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalCommerce.Consumers.Catalog;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Api.Tests.Http;

// Every error path answers problem details with a documented urn: type, whoever wrote the answer.
public sealed class ErrorResponsesTests
{
    const string Secret = "connection string with Password=hunter2";

    [Fact]
    public async Task An_unhandled_exception_answers_the_unexpected_problem_and_tells_nothing_of_the_exception()
    {
        await using var factory = new ApiFactory();
        var failing = factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
        {
            services.AddHttpContextAccessor();
            // The catalog fails only for requests that ask it to, so the host still starts and seeds.
            services.AddScoped(provider => provider.GetRequiredService<IHttpContextAccessor>().HttpContext?.Request.Query.ContainsKey("explode") == true
                ? throw new InvalidOperationException(Secret)
                : ActivatorUtilities.CreateInstance<CatalogDbContext>(provider));
        }));

        var response = await failing.CreateClient().GetAsync("/api/products?explode=1");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal("urn:globalcommerce:problem:unexpected", problem.GetProperty("type").GetString());
        Assert.True(problem.TryGetProperty("traceId", out _));
        Assert.DoesNotContain("hunter2", body, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", body, StringComparison.Ordinal);
        Assert.DoesNotContain("at GlobalCommerce", body, StringComparison.Ordinal);
        Assert.True(response.Headers.Contains("X-Content-Type-Options"));
    }

    [Theory]
    [InlineData("GET", "/api/no-such-thing", 404, "urn:globalcommerce:problem:not-found")]
    [InlineData("DELETE", "/api/products", 405, "urn:globalcommerce:problem:method-not-allowed")]
    public async Task Answers_the_framework_writes_itself_carry_a_documented_type(string method, string path, int status, string type)
    {
        await using var factory = new ApiFactory();
        // Signed in: the fallback policy answers 401 to an anonymous caller before routing's 404 or 405 would.
        var client = await factory.CreateShopperClientAsync();

        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(type, problem.GetProperty("type").GetString());
    }
}
