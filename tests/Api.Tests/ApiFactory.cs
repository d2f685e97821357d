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
        builder.UseSetting("Commerce:Orders:StepTimeout", "00:00:05");
        builder.UseSetting("Commerce:Payments:GatewayTimeout", "00:00:00.300");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            builder.UseSetting(key, value);
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
