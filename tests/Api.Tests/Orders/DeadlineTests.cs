using System.Net.Http.Json;
using System.Text.Json;

namespace GlobalCommerce.Api.Tests.Orders;

public sealed class DeadlineTests
{
    [Fact]
    public async Task A_gateway_that_never_answers_is_retried_then_the_order_fails_with_stock_restored()
    {
        using var factory = new ApiFactory(new Dictionary<string, string?>
        {
            // Only the payment steps time out quickly: the steps before payment get a deadline they meet however loaded
            // the machine is, so the assertion does not depend on how fast stock and fraud answer.
            ["Commerce:Orders:StepTimeout"] = "00:05:00",
            ["Commerce:Orders:StepTimeouts:AwaitingPayment"] = "00:00:02",
            ["Commerce:Orders:StepTimeouts:VerifyingPayment"] = "00:00:02",
            ["Commerce:Orders:MaxStepAttempts"] = "2",
            // The charge that never answers is given up on quickly and recorded Unknown, as the deadlines expect.
            ["Commerce:Payments:GatewayTimeout"] = "00:00:00.300",
        });
        var client = await factory.CreateShopperClientAsync();
        var product = OrderRequestsFor.Scarce;
        var before = (await client.GetFromJsonAsync<JsonElement>($"/api/products/{product.Id}")).GetProperty("available").GetInt32();

        var response = await client.PostAsJsonAsync("/api/orders", OrderRequestsFor.Body(product.Id, paymentToken: "tok_timeout"));
        var orderId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();

        var order = await factory.WaitForOrderStateAsync(client, orderId, "Failed", TimeSpan.FromSeconds(30));
        Assert.Contains("Payment timed out", order.GetProperty("failureReason").GetString());
        Assert.Contains(order.GetProperty("history").EnumerateArray(), t => t.GetProperty("event").GetString() == "DeadlineExpired");

        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((await client.GetFromJsonAsync<JsonElement>($"/api/products/{product.Id}")).GetProperty("available").GetInt32() != before)
        {
            Assert.True(DateTime.UtcNow < until, "stock was not restored");
            await Task.Delay(50);
        }
    }
}
