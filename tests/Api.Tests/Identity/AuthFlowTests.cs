using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalCommerce.Contracts.Identity;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Api.Tests.Identity;

public sealed class AuthFlowTests : IDisposable
{
    readonly ApiFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task A_registered_shopper_logs_in_and_gets_a_15_minute_token_and_a_refresh_token()
    {
        var client = _factory.CreateClient();

        var registered = await client.PostAsJsonAsync("/api/auth/register", new { email = "ada@example.test", password = "Analytical-Engine-1843" });
        var login = await client.PostAsJsonAsync("/api/auth/login", new { email = "ada@example.test", password = "Analytical-Engine-1843" });

        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var tokens = await login.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(900, tokens.GetProperty("expiresIn").GetInt32());
        Assert.False(string.IsNullOrEmpty(tokens.GetProperty("refreshToken").GetString()));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.GetProperty("accessToken").GetString());
        var me = await client.GetFromJsonAsync<JsonElement>("/api/me");
        Assert.Equal("ada@example.test", me.GetProperty("email").GetString());
        Assert.Equal(["shopper"], me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
    }

    [Theory]
    [InlineData("short1A", "at least 10")]
    [InlineData("alllowercase123", "uppercase")]
    [InlineData("Password123", "breached")]
    [InlineData("Qwertyuiop1", "breached")]
    public async Task Weak_or_breached_passwords_are_refused_at_registration(string password, string reason)
    {
        var response = await _factory.CreateClient().PostAsJsonAsync("/api/auth/register", new { email = "weak@example.test", password });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("urn:globalcommerce:problem:validation-failed", problem.GetProperty("type").GetString());
        Assert.Contains(problem.GetProperty("errors").GetProperty("password").EnumerateArray(),
            message => message.GetString()!.Contains(reason, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Register_and_login_answers_do_not_reveal_whether_an_address_has_an_account()
    {
        var client = _factory.CreateClient();

        var existing = await client.PostAsJsonAsync("/api/auth/register", new { email = "shopper@demo.local", password = "Another-Strong-Pass9" });
        var fresh = await client.PostAsJsonAsync("/api/auth/register", new { email = "newcomer@example.test", password = "Another-Strong-Pass9" });
        var wrongPassword = await client.PostAsJsonAsync("/api/auth/login", new { email = "shopper@demo.local", password = "Not-The-Password-1" });
        var unknown = await client.PostAsJsonAsync("/api/auth/login", new { email = "nobody@example.test", password = "Not-The-Password-1" });

        Assert.Equal(HttpStatusCode.Created, existing.StatusCode);
        Assert.Equal(fresh.StatusCode, existing.StatusCode);
        Assert.Equal(await fresh.Content.ReadAsStringAsync(), await existing.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(unknown.StatusCode, wrongPassword.StatusCode);
        Assert.Equal(await WithoutTraceIdAsync(unknown), await WithoutTraceIdAsync(wrongPassword));
        // The existing account kept its password.
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/auth/login", new { email = "shopper@demo.local", password = ApiFactory.DemoPassword })).StatusCode);
    }

    [Fact]
    public async Task Refresh_rotates_the_token_and_a_reused_one_revokes_the_whole_session()
    {
        var client = _factory.CreateClient();
        var first = await ApiFactory.AuthorizeAsync(client, "shopper@demo.local", ApiFactory.DemoPassword);
        var original = first.GetProperty("refreshToken").GetString();

        var rotated = await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = original });
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var second = await rotated.Content.ReadFromJsonAsync<JsonElement>();
        var next = second.GetProperty("refreshToken").GetString();
        Assert.NotEqual(original, next);
        var secondAccess = second.GetProperty("accessToken").GetString();
        Assert.Equal(HttpStatusCode.OK, (await GetMeAsync(secondAccess)).StatusCode);

        // The first token again: theft is assumed, and the family (including the newest tokens) is revoked.
        var reused = await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = original });
        Assert.Equal(HttpStatusCode.Unauthorized, reused.StatusCode);
        Assert.Equal("urn:globalcommerce:problem:invalid-refresh-token", (await reused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = next })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetMeAsync(secondAccess)).StatusCode);
    }

    [Fact]
    public async Task Logout_ends_the_session_for_its_refresh_and_access_tokens()
    {
        var client = _factory.CreateClient();
        var tokens = await ApiFactory.AuthorizeAsync(client, "shopper@demo.local", ApiFactory.DemoPassword);

        var logout = await client.PostAsync("/api/auth/logout", null);

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = tokens.GetProperty("refreshToken").GetString() })).StatusCode);
    }

    [Fact]
    public async Task Repeated_failures_lock_the_account_and_every_step_is_published()
    {
        var events = new List<object>();
        var bus = _factory.Services.GetRequiredService<IBus>();
        var handle = bus.ConnectReceiveEndpoint("auth-events-test", endpoint =>
        {
            endpoint.Handler<UserLoggedIn>(context => Record(context.Message));
            endpoint.Handler<LoginFailed>(context => Record(context.Message));
            endpoint.Handler<UserLockedOut>(context => Record(context.Message));
            endpoint.Handler<AccessTokenRefreshed>(context => Record(context.Message));
        });
        await handle.Ready;
        var client = _factory.CreateClient();
        await ApiFactory.RegisterShopperAsync(client);
        var tokens = await ApiFactory.AuthorizeAsync(client, "vendor@demo.local", ApiFactory.DemoPassword);
        await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = tokens.GetProperty("refreshToken").GetString() });

        for (var attempt = 0; attempt < 5; attempt++)
            await client.PostAsJsonAsync("/api/auth/login", new { email = "support@demo.local", password = "Wrong-Password-99" });
        var withRightPassword = await client.PostAsJsonAsync("/api/auth/login", new { email = "support@demo.local", password = ApiFactory.DemoPassword });

        Assert.Equal(HttpStatusCode.Unauthorized, withRightPassword.StatusCode);
        var until = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < until && Snapshot().OfType<LoginFailed>().Count() < 6)
            await Task.Delay(50);
        var seen = Snapshot();
        Assert.Equal(2, seen.OfType<UserLoggedIn>().Count());
        Assert.Single(seen.OfType<AccessTokenRefreshed>());
        Assert.Single(seen.OfType<UserLockedOut>());
        Assert.Equal(["wrong-password", "wrong-password", "wrong-password", "wrong-password", "wrong-password", "locked-out"],
            seen.OfType<LoginFailed>().Select(e => e.Reason));
        await handle.StopAsync();

        Task Record(object message)
        {
            lock (events)
                events.Add(message);
            return Task.CompletedTask;
        }

        List<object> Snapshot()
        {
            lock (events)
                return [.. events];
        }
    }

    [Fact]
    public async Task Discovery_documents_are_public_and_point_at_the_signing_key()
    {
        var client = _factory.CreateClient();

        var configuration = await client.GetFromJsonAsync<JsonElement>("/.well-known/openid-configuration");
        var jwks = await client.GetFromJsonAsync<JsonElement>(new Uri(configuration.GetProperty("jwks_uri").GetString()!).PathAndQuery);

        Assert.Equal("urn:globalcommerce:identity", configuration.GetProperty("issuer").GetString());
        var key = Assert.Single(jwks.GetProperty("keys").EnumerateArray());
        Assert.Equal("EC", key.GetProperty("kty").GetString());
        Assert.Equal("ES256", key.GetProperty("alg").GetString());
        Assert.False(key.TryGetProperty("d", out _), "the private key must never be published");
    }

    // The trace id differs per request by design; everything else must be identical.
    static async Task<string> WithoutTraceIdAsync(HttpResponseMessage response)
    {
        var fields = (await response.Content.ReadFromJsonAsync<Dictionary<string, JsonElement>>())!;
        Assert.True(fields.Remove("traceId"));
        return JsonSerializer.Serialize(fields.OrderBy(f => f.Key));
    }

    async Task<HttpResponseMessage> GetMeAsync(string? accessToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return await _factory.CreateClient().SendAsync(request);
    }
}
