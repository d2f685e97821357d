using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalCommerce.Api.Identity;
using GlobalCommerce.Api.Tests.Orders;

namespace GlobalCommerce.Api.Tests.Identity;

public sealed class DataRightsTests : IDisposable
{
    readonly ApiFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task The_export_holds_profile_consent_sessions_orders_and_payment_references_of_the_caller_only()
    {
        var shopper = await _factory.CreateShopperClientAsync();
        var other = await _factory.CreateShopperClientAsync();
        var consent = await shopper.PutAsJsonAsync("/api/me/consent", new { marketingEmails = true, analytics = false });
        Assert.Equal(HttpStatusCode.OK, consent.StatusCode);
        var response = await shopper.PostAsJsonAsync("/api/orders", OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id));
        var orderId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();
        await other.PostAsJsonAsync("/api/orders", OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id));
        var completed = await _factory.WaitForOrderStateAsync(shopper, orderId, "Completed");

        var export = await shopper.GetFromJsonAsync<JsonElement>("/api/me/export");

        Assert.EndsWith("@example.test", export.GetProperty("profile").GetProperty("email").GetString());
        Assert.True(export.GetProperty("consent").GetProperty("marketingEmails").GetBoolean());
        Assert.False(export.GetProperty("consent").GetProperty("analytics").GetBoolean());
        var session = Assert.Single(export.GetProperty("sessions").EnumerateArray());
        Assert.True(session.GetProperty("current").GetBoolean());
        var order = Assert.Single(export.GetProperty("orders").EnumerateArray());
        Assert.Equal(orderId, order.GetProperty("orderId").GetGuid());
        Assert.Equal("Ada Lovelace", order.GetProperty("shippingAddress").GetProperty("name").GetString());
        Assert.Equal([completed.GetProperty("paymentReference").GetString()],
            export.GetProperty("paymentReferences").EnumerateArray().Select(r => r.GetString()));
        Assert.DoesNotContain("tok_visa", export.GetRawText());
    }

    [Fact]
    public async Task The_create_admin_command_makes_an_account_with_the_admin_role()
    {
        var result = await AdminCommand.CreateAsync(_factory.Services, "ops@example.test", "Operator-Strong-Pass5");
        var weak = await AdminCommand.CreateAsync(_factory.Services, "ops2@example.test", "password");

        Assert.True(result.Succeeded);
        Assert.False(weak.Succeeded);
        var admin = _factory.CreateClient();
        await ApiFactory.AuthorizeAsync(admin, "ops@example.test", "Operator-Strong-Pass5");
        var me = await admin.GetFromJsonAsync<JsonElement>("/api/me");
        Assert.Contains("admin", me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
    }
}
