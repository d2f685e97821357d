using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalCommerce.Api.Tests.Orders;

namespace GlobalCommerce.Api.Tests.Identity;

public sealed class OrderOwnershipTests : IDisposable
{
    readonly ApiFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task An_order_belongs_to_the_caller_and_another_shopper_gets_404_while_support_sees_it()
    {
        var owner = await _factory.CreateShopperClientAsync();
        var ownerId = (await owner.GetFromJsonAsync<JsonElement>("/api/me")).GetProperty("id").GetGuid();
        var other = await _factory.CreateShopperClientAsync();
        var support = await _factory.CreateClientAsAsync("support@demo.local");

        var response = await owner.PostAsJsonAsync("/api/orders", OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id));
        var orderId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();

        var mine = await owner.GetFromJsonAsync<JsonElement>($"/api/orders/{orderId}");
        Assert.Equal(ownerId, mine.GetProperty("customerId").GetGuid());
        var read = await other.GetAsync($"/api/orders/{orderId}");
        var cancel = await other.PostAsJsonAsync($"/api/orders/{orderId}/cancel", new { reason = "not mine" });
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, cancel.StatusCode);
        Assert.Equal("urn:globalcommerce:problem:not-found", (await read.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.OK, (await support.GetAsync($"/api/orders/{orderId}")).StatusCode);
    }

    [Fact]
    public async Task A_customer_id_in_the_body_must_be_the_callers_own()
    {
        var shopper = await _factory.CreateShopperClientAsync();
        var myId = (await shopper.GetFromJsonAsync<JsonElement>("/api/me")).GetProperty("id").GetGuid();
        var body = JsonSerializer.SerializeToElement(OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id), ApiFactory.Json);

        var someoneElse = await shopper.PostAsJsonAsync("/api/orders", With(body, Guid.NewGuid()));
        var own = await shopper.PostAsJsonAsync("/api/orders", With(body, myId));

        Assert.Equal(HttpStatusCode.BadRequest, someoneElse.StatusCode);
        Assert.Contains("customerId", await someoneElse.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Accepted, own.StatusCode);
    }

    static Dictionary<string, object?> With(JsonElement body, Guid customerId)
    {
        var fields = body.Deserialize<Dictionary<string, object?>>(ApiFactory.Json)!;
        fields["customerId"] = customerId;
        return fields;
    }
}
