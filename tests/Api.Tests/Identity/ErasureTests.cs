using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalCommerce.Api.Identity;
using GlobalCommerce.Api.Tests.Orders;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Api.Tests.Identity;

public sealed class ErasureTests : IDisposable
{
    const string Password = "Lantern-Quartz-42";

    readonly ApiFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task A_shopper_erased_cannot_log_in_and_their_order_keeps_its_total_but_not_their_address()
    {
        var (shopper, email) = await RegisterAsync();
        var submitted = await shopper.PostAsJsonAsync("/api/orders", OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id));
        var orderId = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();
        var completed = await _factory.WaitForOrderStateAsync(shopper, orderId, "Completed");
        Assert.Equal("Ada Lovelace", completed.GetProperty("shippingAddress").GetProperty("name").GetString());
        var userId = (await shopper.GetFromJsonAsync<JsonElement>("/api/me")).GetProperty("id").GetGuid();

        var response = await EraseAsync(shopper, Password);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var location = response.Headers.Location!.ToString();
        Assert.StartsWith("/api/erasures/", location, StringComparison.Ordinal);
        // The session ends at once: the old token is refused, before the erasure has finished.
        Assert.Equal(HttpStatusCode.Unauthorized, (await shopper.GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await shopper.GetAsync("/api/me/export")).StatusCode);

        var anonymous = _factory.CreateClient();
        var erasure = await WaitForErasureAsync(anonymous, location, "Completed");
        Assert.Equal(["identity", "notifications", "orders", "payments", "shipping"],
            erasure.GetProperty("confirmedDomains").EnumerateArray().Select(d => d.GetString()!).Order());
        Assert.Equal(JsonValueKind.Null, erasure.GetProperty("customerId").ValueKind);

        var login = await anonymous.PostAsJsonAsync("/api/auth/login", new { email, password = Password });
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        await using (var scope = _factory.Services.CreateAsyncScope())
        {
            var auth = scope.ServiceProvider.GetRequiredService<AuthDbContext>();
            Assert.False(await auth.Users.AnyAsync(u => u.Id == userId));
            Assert.False(await auth.UserTokens.AnyAsync(t => t.UserId == userId));
            Assert.False(await auth.Consents.AnyAsync(c => c.UserId == userId));
        }

        var admin = await _factory.CreateClientAsAsync("admin@demo.local");
        var order = await admin.GetFromJsonAsync<JsonElement>($"/api/orders/{orderId}");
        Assert.Equal(completed.GetProperty("total").GetDecimal(), order.GetProperty("total").GetDecimal());
        Assert.Equal(completed.GetProperty("paymentReference").GetString(), order.GetProperty("paymentReference").GetString());
        Assert.Equal("Completed", order.GetProperty("state").GetString());
        var address = order.GetProperty("shippingAddress");
        Assert.Equal(("[erased]", "[erased]", "[erased]", "DE"), (address.GetProperty("name").GetString(), address.GetProperty("line1").GetString(),
            address.GetProperty("city").GetString(), address.GetProperty("country").GetString()));
        Assert.DoesNotContain("Ada", order.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("Main St", order.GetRawText(), StringComparison.Ordinal);

        var asStaff = await admin.GetFromJsonAsync<JsonElement>(location);
        Assert.Equal(userId, asStaff.GetProperty("customerId").GetGuid());
        var listed = await admin.GetFromJsonAsync<JsonElement>("/api/erasures?state=Completed");
        Assert.Contains(listed.EnumerateArray(), e => e.GetProperty("customerId").GetGuid() == userId);
    }

    [Fact]
    public async Task Erasure_needs_the_password_and_waits_for_orders_in_flight()
    {
        var (shopper, _) = await RegisterAsync();
        var submitted = await shopper.PostAsJsonAsync("/api/orders", OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id, paymentToken: "tok_timeout"));
        var orderId = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();
        await _factory.WaitForOrderStateAsync(shopper, orderId, "AwaitingPayment");

        var missing = await EraseAsync(shopper, null);
        var wrong = await EraseAsync(shopper, "Not-The-Passw0rd");
        var inFlight = await EraseAsync(shopper, Password);

        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, inFlight.StatusCode);
        var problem = await inFlight.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("urn:globalcommerce:problem:orders-in-flight", problem.GetProperty("type").GetString());
        Assert.Contains(orderId.ToString(), problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await shopper.GetAsync("/api/me")).StatusCode);

        Assert.Equal(HttpStatusCode.Accepted, (await shopper.PostAsync($"/api/orders/{orderId}/cancel", null)).StatusCode);
        await _factory.WaitForOrderStateAsync(shopper, orderId, "Cancelled");
        var accepted = await EraseAsync(shopper, Password);

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        await WaitForErasureAsync(_factory.CreateClient(), accepted.Headers.Location!.ToString(), "Completed");
    }

    [Fact]
    public async Task An_unknown_erasure_is_not_found_and_the_list_is_for_staff_only()
    {
        var shopper = await _factory.CreateShopperClientAsync();

        Assert.Equal(HttpStatusCode.NotFound, (await _factory.CreateClient().GetAsync($"/api/erasures/{Guid.NewGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await shopper.GetAsync("/api/erasures")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _factory.CreateClient().GetAsync("/api/erasures")).StatusCode);
    }

    async Task<(HttpClient Client, string Email)> RegisterAsync()
    {
        var client = _factory.CreateClient();
        var email = $"erase-{Guid.NewGuid():N}@example.test";
        var registered = await client.PostAsJsonAsync("/api/auth/register", new { email, password = Password });
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        await ApiFactory.AuthorizeAsync(client, email, Password);
        return (client, email);
    }

    static Task<HttpResponseMessage> EraseAsync(HttpClient client, string? password)
    {
        var request = new HttpRequestMessage(HttpMethod.Delete, "/api/me") { Content = JsonContent.Create(new { password }) };
        return client.SendAsync(request);
    }

    static async Task<JsonElement> WaitForErasureAsync(HttpClient client, string location, string state)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        JsonElement erasure = default;
        while (DateTime.UtcNow < until)
        {
            erasure = await client.GetFromJsonAsync<JsonElement>(location);
            if (erasure.GetProperty("state").GetString() == state)
                return erasure;
            await Task.Delay(100);
        }

        throw new TimeoutException($"Erasure at {location} did not reach {state}: {erasure}");
    }
}
