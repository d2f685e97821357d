using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalCommerce.Api.Tests.Orders;

namespace GlobalCommerce.Api.Tests.Analytics;

// The embedded default end to end: orders and logins through HTTP, their lifecycle facts through the streams (stream
// outboxes, relays, the local stream file) into the analytics consumer group, and the counts back through
// GET /api/analytics/summary.
public sealed class AnalyticsSummaryTests : IDisposable
{
    // The tok_timeout order waits in the gateway call (ApiFactory keeps the product's ten-second gateway timeout).
    readonly ApiFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task The_summary_counts_each_order_and_login_fact_exactly_once()
    {
        var support = await _factory.CreateClientAsAsync("support@demo.local");
        var shopper = _factory.CreateClient();
        var (email, password) = await RegisterAsync(shopper);
        var tokens = await ApiFactory.AuthorizeAsync(shopper, email, password);

        var completed = await PlaceAsync(shopper, "tok_visa");
        var failed = await PlaceAsync(shopper, "tok_chargeDeclined");
        var cancelled = await PlaceAsync(shopper, "tok_timeout");
        await _factory.WaitForOrderStateAsync(shopper, cancelled, "AwaitingPayment");
        Assert.Equal(HttpStatusCode.Accepted, (await shopper.PostAsJsonAsync($"/api/orders/{cancelled}/cancel", new { reason = "changed my mind" })).StatusCode);
        await _factory.WaitForOrderStateAsync(shopper, completed, "Completed");
        await _factory.WaitForOrderStateAsync(shopper, failed, "Failed");
        await _factory.WaitForOrderStateAsync(shopper, cancelled, "Cancelled");

        var anonymous = _factory.CreateClient();
        var first = tokens.GetProperty("refreshToken").GetString();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = first })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = first })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(anonymous, email, "Wrong-Password-99")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(anonymous, $"nobody-{Guid.NewGuid():N}@example.test", "Wrong-Password-99")).StatusCode);
        var (locked, lockedPassword) = await RegisterAsync(anonymous);
        for (var attempt = 0; attempt < 5; attempt++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(anonymous, locked, "Wrong-Password-99")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(anonymous, locked, lockedPassword)).StatusCode);

        var expected = new Dictionary<(string, string), long>
        {
            [("order-events", "OrderCreated")] = 3,
            [("order-events", "OrderConfirmed")] = 1,
            [("order-events", "OrderCompleted")] = 1,
            [("order-events", "OrderFailed")] = 1,
            [("order-events", "OrderCancelled")] = 1,
            [("payment-events", "PaymentProcessed")] = 1,
            [("payment-events", "PaymentDeclined")] = 1,
            // One line per order: reserved three times, committed for the completed one, released for the other two.
            [("inventory-events", "InventoryReserved")] = 3,
            [("inventory-events", "InventoryCommitted")] = 1,
            [("inventory-events", "InventoryReleased")] = 2,
            // The support client's login and the shopper's.
            [("analytics-events", "UserLoggedIn")] = 2,
            [("analytics-events", "AccessTokenRefreshed")] = 1,
            [("analytics-events", "RefreshTokenReused")] = 1,
            // A wrong password, an unknown address, five wrong passwords (the fifth locks) and the right one while locked.
            [("analytics-events", "LoginFailed")] = 8,
            [("analytics-events", "UserLockedOut")] = 1,
            // The demo catalog's products, announced as it was seeded.
            [("product-events", "ProductChanged")] = GlobalCommerce.Consumers.Catalog.DemoCatalog.Products.Count,
        };
        var summary = await WaitForCountsAsync(support, expected);

        Assert.True(expected.OrderBy(e => e.Key).SequenceEqual(Counts(summary).OrderBy(e => e.Key)),
            $"expected {string.Join(", ", expected.OrderBy(e => e.Key).Select(e => $"{e.Key}={e.Value}"))}\ngot {summary}");
        var orders = summary.GetProperty("orders");
        Assert.Equal((3, 1, 1, 1, 1), (orders.GetProperty("created").GetInt64(), orders.GetProperty("confirmed").GetInt64(),
            orders.GetProperty("failed").GetInt64(), orders.GetProperty("cancelled").GetInt64(), orders.GetProperty("completed").GetInt64()));
        Assert.Equal(expected.Values.Sum(), summary.GetProperty("hours").EnumerateArray().Sum(h => h.GetProperty("count").GetInt64()));
        Assert.All(summary.GetProperty("hours").EnumerateArray(), h => Assert.Equal(0, h.GetProperty("hour").GetDateTimeOffset().Minute));
    }

    [Fact]
    public async Task The_summary_is_for_support_and_admin_and_validates_its_window()
    {
        var shopper = await _factory.CreateShopperClientAsync();
        var admin = await _factory.CreateClientAsAsync("admin@demo.local");

        Assert.Equal(HttpStatusCode.Unauthorized, (await _factory.CreateClient().GetAsync("/api/analytics/summary")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await shopper.GetAsync("/api/analytics/summary")).StatusCode);
        var ok = await admin.GetAsync("/api/analytics/summary?days=1");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var summary = await ok.Content.ReadFromJsonAsync<JsonElement>(ApiFactory.Json);
        Assert.Equal(DateTimeOffset.UtcNow.Date, summary.GetProperty("from").GetDateTimeOffset().UtcDateTime.Date);
        foreach (var bad in new[] { "0", "91", "seven", "-1" })
        {
            var response = await admin.GetAsync($"/api/analytics/summary?days={bad}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("urn:globalcommerce:problem:validation-failed", problem.GetProperty("type").GetString());
            Assert.True(problem.GetProperty("errors").TryGetProperty("days", out _));
        }
    }

    static async Task<(string Email, string Password)> RegisterAsync(HttpClient client)
    {
        var email = $"analytics-{Guid.NewGuid():N}@example.test";
        const string password = "Lantern-Quartz-42";
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/api/auth/register", new { email, password })).StatusCode);
        return (email, password);
    }

    static Task<HttpResponseMessage> LoginAsync(HttpClient client, string email, string password) =>
        client.PostAsJsonAsync("/api/auth/login", new { email, password });

    static async Task<Guid> PlaceAsync(HttpClient client, string paymentToken)
    {
        var response = await client.PostAsJsonAsync("/api/orders", OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id, paymentToken: paymentToken));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();
    }

    static Dictionary<(string, string), long> Counts(JsonElement summary) =>
        summary.GetProperty("events").EnumerateArray().ToDictionary(
            e => (e.GetProperty("stream").GetString()!, e.GetProperty("eventType").GetString()!), e => e.GetProperty("count").GetInt64());

    // Until the counts reach what is expected, then a while longer: a fact counted twice would show up late.
    static async Task<JsonElement> WaitForCountsAsync(HttpClient client, Dictionary<(string, string), long> expected)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        JsonElement summary;
        while (true)
        {
            summary = await client.GetFromJsonAsync<JsonElement>("/api/analytics/summary", ApiFactory.Json);
            var counts = Counts(summary);
            if (expected.All(e => counts.GetValueOrDefault(e.Key) >= e.Value) || DateTime.UtcNow > until)
                break;
            await Task.Delay(100);
        }

        await Task.Delay(TimeSpan.FromSeconds(2));
        return await client.GetFromJsonAsync<JsonElement>("/api/analytics/summary", ApiFactory.Json);
    }
}
