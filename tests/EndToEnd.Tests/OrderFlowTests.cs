using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;

namespace GlobalCommerce.EndToEnd.Tests;

public sealed class OrderFlowTests(RealModePlatform platform, ITestOutputHelper output) : IClassFixture<RealModePlatform>
{
    [Fact]
    public async Task An_order_reaches_completed_across_separate_api_and_worker_processes()
    {
        var product = await FindProductAsync(p => p.GetProperty("available").GetInt32() >= 1000);
        var before = product.GetProperty("available").GetInt32();
        var productId = product.GetProperty("id").GetGuid();

        var clock = Stopwatch.StartNew();
        var response = await platform.Client.PostAsJsonAsync("/api/orders", Body(productId, 2, "tok_visa"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var orderId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();

        var order = await platform.WaitForOrderStateAsync(orderId, "Completed", TimeSpan.FromSeconds(60));
        output.WriteLine($"real mode: POST to Completed in {clock.ElapsedMilliseconds} ms");

        Assert.Equal(5, order.GetProperty("history").GetArrayLength());
        Assert.False(string.IsNullOrEmpty(order.GetProperty("trackingNumber").GetString()));
        Assert.Equal(before - 2, await AvailableAsync(productId));
    }

    [Fact]
    public async Task A_declined_order_reaches_failed_with_its_stock_restored()
    {
        var product = await FindProductAsync(p => p.GetProperty("available").GetInt32() is > 5 and <= 50);
        var productId = product.GetProperty("id").GetGuid();
        var before = product.GetProperty("available").GetInt32();

        var response = await platform.Client.PostAsJsonAsync("/api/orders", Body(productId, 3, "tok_chargeDeclined"));
        var orderId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();

        var order = await platform.WaitForOrderStateAsync(orderId, "Failed", TimeSpan.FromSeconds(60));
        Assert.Contains("declined", order.GetProperty("failureReason").GetString(), StringComparison.OrdinalIgnoreCase);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (await AvailableAsync(productId) != before)
        {
            Assert.True(DateTime.UtcNow < until, "stock was not restored after the declined payment");
            await Task.Delay(100);
        }
    }

    // The worker's receive endpoints are found from its bus and asked about at the broker, and both health endpoints
    // carry the answer (live too: a lost queue is mended by restarting the process).
    [Fact]
    public async Task The_worker_watches_each_of_its_queues_at_the_broker()
    {
        using var http = new HttpClient { BaseAddress = platform.Worker.Address, Timeout = TimeSpan.FromSeconds(10) };
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var ready = await http.GetFromJsonAsync<JsonElement>("/health/ready", RealModePlatform.Json);
            var check = ready.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "broker-consumers");
            var description = check.GetProperty("description").GetString()!;
            output.WriteLine(description);
            // order-state, reserve/commit/release-inventory, assess-fraud, charge/check/refund-payment, create/cancel-shipment, ...
            if (int.Parse(description.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) >= 10)
            {
                Assert.Equal("Healthy", check.GetProperty("status").GetString());
                break;
            }

            Assert.True(DateTime.UtcNow < until, $"the watchdog did not find the worker's queues: {description}");
            await Task.Delay(200);
        }

        var live = await http.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("Healthy", await live.Content.ReadAsStringAsync());
    }

    async Task<JsonElement> FindProductAsync(Func<JsonElement, bool> predicate)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var products = await platform.Client.GetFromJsonAsync<JsonElement[]>("/api/products");
            if (products!.FirstOrDefault(predicate) is { ValueKind: JsonValueKind.Object } match)
                return match;
            Assert.True(DateTime.UtcNow < until, "demo catalog was not seeded");
            await Task.Delay(200);
        }
    }

    async Task<int> AvailableAsync(Guid productId) =>
        (await platform.Client.GetFromJsonAsync<JsonElement>($"/api/products/{productId}")).GetProperty("available").GetInt32();

    static object Body(Guid productId, int quantity, string token) => new
    {
        items = new[] { new { productId, quantity } },
        shippingAddress = new { name = "Grace Hopper", line1 = "2 Harbour Rd", city = "Hamburg", postalCode = "20095", country = "DE" },
        paymentToken = token,
    };
}
