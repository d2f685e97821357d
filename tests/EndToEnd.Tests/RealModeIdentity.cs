using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace GlobalCommerce.EndToEnd.Tests;

// What real mode needs for identity: a signing key file (never committed: generated per test run) and sessions in the
// test script's Redis. Real mode seeds no accounts, so callers register a shopper through the API and log in.
public static class RealModeIdentity
{
    static readonly Lazy<string> KeyFile = new(() =>
    {
        var path = Path.Combine(Path.GetTempPath(), $"gc-e2e-signing-{System.Environment.ProcessId}.pem");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem());
        return path;
    });

    public static IReadOnlyDictionary<string, string> Environment()
    {
        var redis = System.Environment.GetEnvironmentVariable("GC_TEST_REDIS")
            ?? throw new InvalidOperationException("GC_TEST_REDIS is not set: run the suite with scripts/test.sh.");
        return new Dictionary<string, string>
        {
            ["Commerce__Identity__SigningKeyPath"] = KeyFile.Value,
            ["Commerce__Identity__SessionStore"] = "Redis",
            ["Commerce__Identity__RedisConnection"] = redis,
            ["Commerce__Identity__RedisKeyPrefix"] = $"e2e-{Guid.NewGuid():N}:",
        };
    }

    // Registers a new shopper and puts its access token on the client.
    public static async Task AuthorizeShopperAsync(HttpClient client)
    {
        var email = $"shopper-{Guid.NewGuid():N}@example.test";
        const string password = "Lantern-Quartz-42";
        var registered = await client.PostAsJsonAsync("/api/auth/register", new { email, password });
        if (!registered.IsSuccessStatusCode)
            throw new InvalidOperationException($"register answered {registered.StatusCode}: {await registered.Content.ReadAsStringAsync()}");
        var login = await client.PostAsJsonAsync("/api/auth/login", new { email, password });
        if (!login.IsSuccessStatusCode)
            throw new InvalidOperationException($"login answered {login.StatusCode}: {await login.Content.ReadAsStringAsync()}");
        var tokens = await login.Content.ReadFromJsonAsync<JsonElement>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.GetProperty("accessToken").GetString());
    }
}
