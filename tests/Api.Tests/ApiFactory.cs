using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace GlobalCommerce.Api.Tests;

// The API on its embedded default (in-memory bus, SQLite, workers in-process) with a data folder of its own.
public sealed class ApiFactory(IReadOnlyDictionary<string, string?>? settings = null) : WebApplicationFactory<Program>
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "gc-api-tests", Guid.NewGuid().ToString("N"));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Commerce:DataDirectory", _dataDirectory);
        builder.UseSetting("Commerce:Sweeper:Interval", "00:00:00.200");
        // No step deadline fires within a test's own wait, however loaded the machine: a test of the happy path must not
        // turn into a test of how fast the machine is. Deadline behaviour is tested with its own per-state timeouts.
        builder.UseSetting("Commerce:Orders:StepTimeout", "00:10:00");
        // The product's gateway timeout (ten seconds) for the same reason: a charge the sandbox answers late on a loaded
        // machine must not be recorded Unknown and leave a happy-path order waiting for that ten-minute deadline. A
        // test of the timeout path (tok_timeout, which never answers) sets a short one itself.
        // Tests log in and register far more often than a person would; the limits are tested with their own settings.
        builder.UseSetting("Commerce:Identity:RateLimits:LoginPerIp", "100000");
        builder.UseSetting("Commerce:Identity:RateLimits:LoginPerAccount", "100000");
        builder.UseSetting("Commerce:Identity:RateLimits:RegisterPerIp", "100000");
        // Several tests place a burst of orders as one shopper; the per-customer limit has its own tests.
        builder.UseSetting("Commerce:Orders:CustomerRateLimit:TokenLimit", "100000");
        builder.UseSetting("Commerce:Orders:CustomerRateLimit:TokensPerPeriod", "100000");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            builder.UseSetting(key, value);
    }

    public const string DemoPassword = "Demo-Passw0rd!";

    // A new shopper of its own: tests do not share order history (the fraud rules count a customer's recent orders).
    public async Task<HttpClient> CreateShopperClientAsync()
    {
        var client = CreateClient();
        await RegisterShopperAsync(client);
        return client;
    }

    public static async Task RegisterShopperAsync(HttpClient client)
    {
        var email = $"shopper-{Guid.NewGuid():N}@example.test";
        const string password = "Lantern-Quartz-42";
        var registered = await client.PostAsJsonAsync("/api/auth/register", new { email, password });
        if (registered.StatusCode != System.Net.HttpStatusCode.Created)
            throw new InvalidOperationException($"register answered {registered.StatusCode}: {await registered.Content.ReadAsStringAsync()}");
        await AuthorizeAsync(client, email, password);
    }

    // A demo account seeded on the embedded default: shopper@, vendor@, support@ or admin@demo.local.
    public async Task<HttpClient> CreateClientAsAsync(string email)
    {
        var client = CreateClient();
        await AuthorizeAsync(client, email, DemoPassword);
        return client;
    }

    public static async Task<JsonElement> AuthorizeAsync(HttpClient client, string email, string password)
    {
        var response = await client.PostAsJsonAsync("/api/auth/login", new { email, password });
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"login answered {response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var tokens = await response.Content.ReadFromJsonAsync<JsonElement>(Json);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.GetProperty("accessToken").GetString());
        return tokens;
    }

    public async Task<JsonElement> WaitForOrderStateAsync(HttpClient client, Guid orderId, string state, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        JsonElement order = default;
        while (DateTime.UtcNow < until)
        {
            order = await client.GetFromJsonAsync<JsonElement>($"/api/orders/{orderId}", Json);
            if (order.GetProperty("state").GetString() == state)
                return order;
            await Task.Delay(50);
        }

        throw new TimeoutException($"Order {orderId} did not reach {state}: {order}");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
