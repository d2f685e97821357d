using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace GlobalCommerce.Api.Tests.Identity;

public sealed class RateLimitTests
{
    [Fact]
    public async Task Logins_past_the_per_account_limit_get_429_with_retry_after_while_orders_are_not_counted()
    {
        using var factory = new ApiFactory(new Dictionary<string, string?> { ["Commerce:Identity:RateLimits:LoginPerAccount"] = "3" });
        var shopper = await factory.CreateClientAsAsync("shopper@demo.local");
        var client = factory.CreateClient();

        var answers = new List<HttpResponseMessage>();
        for (var attempt = 0; attempt < 3; attempt++)
            answers.Add(await client.PostAsJsonAsync("/api/auth/login", new { email = "shopper@demo.local", password = ApiFactory.DemoPassword }));
        var otherAccount = await client.PostAsJsonAsync("/api/auth/login", new { email = "vendor@demo.local", password = ApiFactory.DemoPassword });

        Assert.Equal(HttpStatusCode.OK, answers[0].StatusCode);
        Assert.Equal(HttpStatusCode.OK, answers[1].StatusCode);
        var limited = answers[2];
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After missing");
        Assert.Equal("urn:globalcommerce:problem:too-many-requests", (await limited.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.OK, otherAccount.StatusCode);
        // Authenticated traffic is never throttled by the login limits.
        for (var read = 0; read < 10; read++)
            Assert.Equal(HttpStatusCode.OK, (await shopper.GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task Registrations_past_the_per_ip_limit_get_429_with_retry_after()
    {
        using var factory = new ApiFactory(new Dictionary<string, string?> { ["Commerce:Identity:RateLimits:RegisterPerIp"] = "2" });
        var client = factory.CreateClient();

        var statuses = new List<HttpResponseMessage>();
        for (var attempt = 0; attempt < 3; attempt++)
            statuses.Add(await client.PostAsJsonAsync("/api/auth/register", new { email = $"r{attempt}@example.test", password = "Lantern-Quartz-42" }));

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests], statuses.Select(s => s.StatusCode));
        Assert.True(statuses[2].Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After missing");
    }
}
