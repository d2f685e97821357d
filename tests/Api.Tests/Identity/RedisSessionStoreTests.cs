using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalCommerce.Api.Identity;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace GlobalCommerce.Api.Tests.Identity;

// Against the redis-server scripts/test.sh starts (GC_TEST_REDIS). Without it these are skipped, except on CI where
// a missing server is a failure.
public sealed class RedisSessionStoreTests
{
    static readonly string? Redis = Environment.GetEnvironmentVariable("GC_TEST_REDIS");

    [RedisFact]
    public async Task Sessions_live_in_redis_with_the_refresh_tokens_ttl_and_rotation_reuse_and_logout_work_through_http()
    {
        var prefix = $"gc-test-{Guid.NewGuid():N}:";
        using var factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["Commerce:Identity:SessionStore"] = "Redis",
            ["Commerce:Identity:RedisConnection"] = Redis,
            ["Commerce:Identity:RedisKeyPrefix"] = prefix,
        });
        Assert.IsType<RedisSessionStore>(factory.Services.GetRequiredService<ISessionStore>());
        var client = factory.CreateClient();
        var tokens = await ApiFactory.AuthorizeAsync(client, "shopper@demo.local", ApiFactory.DemoPassword);
        var sessionId = Guid.ParseExact(tokens.GetProperty("refreshToken").GetString()!.Split('.')[0], "N");

        await using var redis = await ConnectionMultiplexer.ConnectAsync(Redis!);
        var key = $"{prefix}session:{sessionId:N}";
        var ttl = await redis.GetDatabase().KeyTimeToLiveAsync(key);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(7));
        Assert.DoesNotContain(tokens.GetProperty("refreshToken").GetString()!.Split('.')[1], (await redis.GetDatabase().StringGetAsync(key)).ToString());

        var rotated = await (await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = tokens.GetProperty("refreshToken").GetString() }))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(await redis.GetDatabase().KeyExistsAsync(key));
        var export = await client.GetFromJsonAsync<JsonElement>("/api/me/export");
        Assert.Equal(sessionId, Assert.Single(export.GetProperty("sessions").EnumerateArray()).GetProperty("id").GetGuid());

        var reuse = await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = tokens.GetProperty("refreshToken").GetString() });
        Assert.Equal(HttpStatusCode.Unauthorized, reuse.StatusCode);
        Assert.False(await redis.GetDatabase().KeyExistsAsync(key));
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = rotated.GetProperty("refreshToken").GetString() })).StatusCode);

        await ApiFactory.AuthorizeAsync(client, "shopper@demo.local", ApiFactory.DemoPassword);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/api/auth/logout", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/me")).StatusCode);
    }

    [RedisFact]
    public async Task Concurrent_refreshes_with_one_token_rotate_once()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(Redis!);
        var options = new AuthOptions { RedisKeyPrefix = $"gc-test-{Guid.NewGuid():N}:" };
        var store = new RedisSessionStore(redis, options, TimeProvider.System);
        var issuer = new TokenIssuer(SigningKeys.FromPem(System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256)
            .ExportPkcs8PrivateKeyPem()), options, store, TimeProvider.System);
        var (_, refreshToken) = await issuer.StartSessionAsync(Guid.NewGuid(), CancellationToken.None);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => issuer.RefreshAsync(refreshToken, CancellationToken.None)));

        Assert.True(outcomes.Count(o => o is RefreshOutcome.Rotated) <= 1);
        Assert.Contains(outcomes, o => o is RefreshOutcome.Reused);
    }
}

public sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("GC_TEST_REDIS")) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
            Skip = "GC_TEST_REDIS is not set: run the suite with scripts/test.sh";
    }
}
