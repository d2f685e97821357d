using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalCommerce.Api.Orders;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Api.Tests.Orders;

public sealed class OrderAdmissionTests
{
    [Fact]
    public async Task A_submission_beyond_the_admission_limit_gets_503_with_retry_after_and_the_retry_succeeds()
    {
        using var factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["Commerce:Orders:Admission:MaxConcurrent"] = "1",
            ["Commerce:Orders:Admission:QueueLimit"] = "0",
            ["Commerce:Orders:Admission:RetryAfter"] = "00:00:02",
        });
        var client = await factory.CreateShopperClientAsync();
        var admission = factory.Services.GetRequiredService<OrderAdmission>();
        var body = OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id);

        // Another submission holds the only slot.
        using (var held = await admission.AcquireAsync(CancellationToken.None))
        {
            Assert.True(held.IsAcquired);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(body) };
            request.Headers.Add("Idempotency-Key", "admission-test");
            var refused = await client.SendAsync(request);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(2), refused.Headers.RetryAfter?.Delta);
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("urn:globalcommerce:problem:overloaded", problem.GetProperty("type").GetString());
        }

        // Nothing was stored for the refused attempt: the retry with the same key is accepted as a new order.
        using var retry = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(body) };
        retry.Headers.Add("Idempotency-Key", "admission-test");
        var accepted = await client.SendAsync(retry);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var orderId = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();
        await factory.WaitForOrderStateAsync(client, orderId, "Completed");
    }
}
