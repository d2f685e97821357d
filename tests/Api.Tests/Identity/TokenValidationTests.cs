using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using GlobalCommerce.Api.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace GlobalCommerce.Api.Tests.Identity;

// Each token names a live session of the demo shopper, so only the property under test can make it fail.
public sealed class TokenValidationTests : IDisposable
{
    readonly ApiFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task A_token_signed_with_the_published_key_and_the_right_claims_is_accepted()
    {
        var claims = await LiveClaimsAsync();

        Assert.Equal(HttpStatusCode.OK, await CallAsync(Sign(claims, Keys.Credentials)));
    }

    [Fact]
    public async Task A_token_with_alg_none_is_rejected()
    {
        var claims = await LiveClaimsAsync();
        var header = Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""");
        var payload = Base64UrlEncoder.Encode(
            $$"""{"sub":"{{claims.Sub}}","sid":"{{claims.Sid}}","role":"shopper","iss":"urn:globalcommerce:identity","aud":"globalcommerce-api","exp":{{DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds()}}}""");

        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync($"{header}.{payload}."));
    }

    [Fact]
    public async Task A_token_signed_by_another_key_is_rejected()
    {
        var claims = await LiveClaimsAsync();
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        // Same key id as the real one: only the signature can tell them apart.
        var forged = new SigningCredentials(new ECDsaSecurityKey(other) { KeyId = Keys.PublicJwk.KeyId }, SecurityAlgorithms.EcdsaSha256);

        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(Sign(claims, forged)));
    }

    [Fact]
    public async Task A_symmetric_token_using_the_public_key_as_secret_is_rejected()
    {
        var claims = await LiveClaimsAsync();
        var secret = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(Keys.PublicJwk.X + Keys.PublicJwk.Y + Keys.PublicJwk.X)) { KeyId = Keys.PublicJwk.KeyId };

        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(Sign(claims, new SigningCredentials(secret, SecurityAlgorithms.HmacSha256))));
    }

    [Theory]
    [InlineData("urn:someone-else", "globalcommerce-api")]
    [InlineData("urn:globalcommerce:identity", "another-api")]
    public async Task A_token_for_another_issuer_or_audience_is_rejected(string issuer, string audience)
    {
        var claims = await LiveClaimsAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(Sign(claims, Keys.Credentials, issuer, audience)));
    }

    [Fact]
    public async Task An_expired_token_is_rejected()
    {
        var claims = await LiveClaimsAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(Sign(claims, Keys.Credentials, expires: DateTime.UtcNow.AddMinutes(-2))));
    }

    [Fact]
    public async Task A_request_without_a_token_gets_a_401_problem_and_a_vendor_gets_403_on_orders()
    {
        var anonymous = await _factory.CreateClient().PostAsJsonAsync("/api/orders", new { });
        var vendor = await (await _factory.CreateClientAsAsync("vendor@demo.local")).PostAsJsonAsync("/api/orders", new { });

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType!.MediaType);
        Assert.Contains("urn:globalcommerce:problem:unauthorized", await anonymous.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, vendor.StatusCode);
        Assert.Contains("urn:globalcommerce:problem:forbidden", await vendor.Content.ReadAsStringAsync());
    }

    SigningKeys Keys => _factory.Services.GetRequiredService<SigningKeys>();

    async Task<(string Sub, string Sid)> LiveClaimsAsync()
    {
        var tokens = await ApiFactory.AuthorizeAsync(_factory.CreateClient(), "shopper@demo.local", ApiFactory.DemoPassword);
        var token = new JsonWebToken(tokens.GetProperty("accessToken").GetString());
        return (token.Subject, token.GetClaim("sid").Value);
    }

    static string Sign((string Sub, string Sid) claims, SigningCredentials credentials, string issuer = "urn:globalcommerce:identity",
        string audience = "globalcommerce-api", DateTime? expires = null)
    {
        var end = expires ?? DateTime.UtcNow.AddMinutes(5);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = end.AddMinutes(-15),
            NotBefore = end.AddMinutes(-15),
            Expires = end,
            SigningCredentials = credentials,
            Subject = new ClaimsIdentity([new Claim("sub", claims.Sub), new Claim("sid", claims.Sid), new Claim("role", "shopper")]),
        });
    }

    async Task<HttpStatusCode> CallAsync(string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return (await _factory.CreateClient().SendAsync(request)).StatusCode;
    }
}
