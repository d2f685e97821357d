using System.Net.Http.Json;
using System.Text.Json;

namespace GlobalCommerce.EndToEnd.Tests;

// The platform in real mode: RabbitMQ + PostgreSQL, the API and one worker as separate processes.
// Shared by the tests of one class because they share the broker's queues; each test uses its own orders.
public sealed class RealModePlatform : IAsyncLifetime
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    HostProcess? _worker;

    public HostProcess Worker => _worker!;

    public HostProcess Api { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var postgres = Environment.GetEnvironmentVariable("GC_TEST_POSTGRES")
            ?? throw new InvalidOperationException("GC_TEST_POSTGRES is not set: run the suite with scripts/test.sh.");
        var rabbit = Environment.GetEnvironmentVariable("GC_TEST_RABBITMQ")
            ?? throw new InvalidOperationException("GC_TEST_RABBITMQ is not set: run the suite with scripts/test.sh.");
        var common = new Dictionary<string, string>
        {
            ["Commerce__Mode"] = "Distributed",
            ["Commerce__RabbitMqUrl"] = rabbit,
            ["Commerce__PostgresConnection"] = postgres,
            ["Commerce__DatabasePrefix"] = "e2e" + Guid.NewGuid().ToString("N")[..8] + "_",
            ["Commerce__Sweeper__Interval"] = "00:00:01",
            ["Commerce__Messaging__Watchdog__Interval"] = "00:00:01",
            // The tests order from the demo catalog, which the distributed mode does not seed by itself.
            ["Commerce__SeedDemoCatalog"] = "true",
        };

        var api = new Dictionary<string, string>(common);
        foreach (var (key, value) in RealModeIdentity.Environment())
            api[key] = value;
        Api = HostProcess.Start("Api", api);
        _worker = HostProcess.Start("Workers", common);
        await Task.WhenAll(Api.WaitUntilReadyAsync(TimeSpan.FromSeconds(90)), _worker.WaitUntilReadyAsync(TimeSpan.FromSeconds(90)));
        Client = new HttpClient { BaseAddress = Api.Address, Timeout = TimeSpan.FromSeconds(30) };
        await RealModeIdentity.AuthorizeShopperAsync(Client);
    }

    public async Task<JsonElement> WaitForOrderStateAsync(Guid orderId, string state, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        JsonElement order = default;
        while (DateTime.UtcNow < until)
        {
            order = await Client.GetFromJsonAsync<JsonElement>($"/api/orders/{orderId}", Json);
            if (order.GetProperty("state").GetString() == state)
                return order;
            await Task.Delay(50);
        }

        throw new TimeoutException($"Order {orderId} did not reach {state}: {order}\n--- api ---\n{Api.Output}\n--- worker ---\n{_worker?.Output}");
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_worker is not null)
            await _worker.DisposeAsync();
        if (Api is not null)
            await Api.DisposeAsync();
    }
}
